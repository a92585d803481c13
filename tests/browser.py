"""Headless Chromium for tests: pages rendered as a person would see them.

Uses Debian's chromium and chromium-driver (installed by `make test`'s set-up). Without them the
browser tests skip, unless ESTATE_OPT_REQUIRE_BROWSER=1 (set by CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@contextmanager
def chromium(width: int = 1400, height: int = 1000):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = "headless Chromium is not installed (apt install chromium chromium-driver)"
        if os.environ.get("ESTATE_OPT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="estate_opt_chromium_")
    # No background networking: this machine's closed network refuses it, noisily.
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def full_page_screenshot(driver, path) -> None:
    """Resize the window to the page's height, then screenshot, so the whole report is captured."""
    height = driver.execute_script("return Math.min(document.body.scrollHeight, 16000)")
    driver.set_window_size(1400, max(1000, int(height)))
    driver.save_screenshot(str(path))
