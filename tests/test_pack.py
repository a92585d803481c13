"""The board pack: workbook figures equal the CSVs, the pack regenerates without re-solving, names are
escaped, and map.html / report.html render in real headless Chromium as a person would see them."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from browser import chromium, console_errors, full_page_screenshot
from conftest import ROOT
from openpyxl import load_workbook

from estate_opt.cli import main
from estate_opt.outputs.labels import label

SCREENSHOTS = ROOT / "runs" / "test-screenshots"


@pytest.fixture
def line_run(line, tmp_path):
    _, make = line
    out = tmp_path / "run"
    assert main(["run", str(make()), "--out", str(out), "-q"]) == 0
    return out


def _sheet(wb, name) -> pd.DataFrame:
    rows = list(wb[name].values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_figures_equal_the_csvs(line_run):
    wb = load_workbook(line_run / "plan.xlsx")
    assert wb.sheetnames == ["Summary", "Disposals", "Moves", "Sites", "Allocation", "Access", "Owners",
                             "Zone access"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.column_dimensions["A"].width >= 10
    for sheet, csv in (("Disposals", "disposals.csv"), ("Sites", "sites.csv"), ("Allocation", "allocation.csv"),
                       ("Moves", "moves.csv"), ("Owners", "owners.csv")):
        x, c = _sheet(wb, sheet), pd.read_csv(line_run / csv)
        assert list(x.columns) == [label(col) for col in c.columns], sheet
        assert len(x) == len(c), sheet
        for col, xcol in zip(c.columns, x.columns):
            if pd.api.types.is_numeric_dtype(c[col]) and not pd.api.types.is_bool_dtype(c[col]):
                assert x[xcol].astype(float).fillna(-1).tolist() == pytest.approx(c[col].fillna(-1).tolist()), col
    assert wb["Sites"]["H1"].value == "Floor area (m²)"
    assert wb["Disposals"]["F2"].number_format == '"£"#,##0'
    summary = json.loads((line_run / "summary.json").read_text())
    figures = dict(_sheet(wb, "Summary").values)
    assert figures["Status"] == "optimal"
    assert figures["Running cost saved (£/yr)"] == pytest.approx(summary["kpis"]["annual_running_saving_gbp"])
    assert figures["Sites in the plan (count)"] == summary["kpis"]["sites_after"]


def test_report_regenerates_without_solving(line_run, capsys):
    before = (line_run / "report.html").read_text()
    for name in ("report.html", "map.html", "plan.xlsx", "map.png"):
        (line_run / name).unlink()
    assert main(["report", str(line_run)]) == 0
    assert "rewrote" in capsys.readouterr().out
    after = (line_run / "report.html").read_text()
    assert after == before  # the same plan gives the same report, byte for byte
    assert (line_run / "map.html").exists() and (line_run / "plan.xlsx").exists()
    assert main(["verify", str(line_run)]) == 0


def test_report_refuses_an_edited_plan(line_run, capsys):
    sites = pd.read_csv(line_run / "sites.csv")
    sites.loc[0, "decision"] = "retain" if sites.loc[0, "decision"] == "dispose" else "dispose"
    sites.to_csv(line_run / "sites.csv", index=False)
    assert main(["report", str(line_run)]) == 1
    assert "no longer matches its inputs" in capsys.readouterr().err


def test_report_reads_as_plain_english(line_run):
    page = (line_run / "report.html").read_text()
    for phrase in ("Proven optimal.", "The plan keeps 1 of the 3 public buildings and disposes of 2",
                   "saving £180,000 a year", "What goes: the disposal list (2 sites)", "Who gains and who gives",
                   "Access: who travels further", "How sure is this?", "Assumptions and data sources",
                   "proved this plan within £0/yr (0.0000%) of the best possible plan",
                   "Proven distance from the best possible plan"):
        assert phrase in page, phrase
    assert not re.findall(r'(?:src|href)="https?://', page)  # opens offline: nothing to fetch
    assert "<script" not in page  # a static page: nothing to run


HOSTILE = "<script>alert(1)</script>"


def test_names_are_escaped_everywhere(line, tmp_path):
    tables, make = line
    tables["sites"].loc[0, "name"] = HOSTILE
    tables["sites"].loc[0, "owner"] = "Smith & Sons <b>Ltd</b>"
    out = tmp_path / "run"
    assert main(["run", str(make()), "--out", str(out), "-q"]) == 0
    for page in ("report.html", "map.html"):
        text = (out / page).read_text()
        assert HOSTILE not in text and "<b>Ltd</b>" not in text, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, page
    with chromium() as browser:
        for page in ("report.html", "map.html"):
            browser.get((out / page).as_uri())
            from selenium.common.exceptions import NoAlertPresentException

            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text  # the name never ran as a script
            assert console_errors(browser) == [], page
        browser.get((out / "report.html").as_uri())
        assert HOSTILE in browser.find_element("id", "disposal-table").text  # shown as text


@pytest.mark.slow
def test_trafford_pack_in_a_real_browser(trafford_run):
    sites = pd.read_csv(trafford_run / "sites.csv")
    disposals = pd.read_csv(trafford_run / "disposals.csv")
    moves = pd.read_csv(trafford_run / "moves.csv", keep_default_na=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        browser.get((trafford_run / "map.html").as_uri())
        assert console_errors(browser) == []
        markers = browser.execute_script("return document.querySelectorAll('path.site-marker').length")
        assert markers == len(sites)
        disposed = browser.execute_script("return document.querySelectorAll('path.site-dispose').length")
        assert disposed == len(disposals)
        lines = browser.execute_script("return document.querySelectorAll('path.service-move').length")
        assert lines == (moves.to_site_id != "").sum()
        layers = browser.execute_script(
            "return Array.from(document.querySelectorAll('.leaflet-control-layers-base label')).map(e => e.textContent.trim())")
        assert [f"Travel change: {k}" for k in pd.read_csv(trafford_run / "access.csv").service_id] == layers
        browser.save_screenshot(str(SCREENSHOTS / "map.png"))

        browser.get((trafford_run / "report.html").as_uri())
        assert console_errors(browser) == []
        rows = browser.execute_script("return document.querySelectorAll('#disposal-table tbody tr').length")
        assert rows == len(disposals)
        status = browser.find_element("id", "status").text
        assert status.startswith("Proven optimal")
        images = browser.execute_script(
            "return Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
        assert images == 4  # map, owners, access and travel charts: every embedded image decoded
        full_page_screenshot(browser, SCREENSHOTS / "report.png")
    assert (SCREENSHOTS / "report.png").stat().st_size > 50_000
