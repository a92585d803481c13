"""Shared fixtures: small estates written as real input files, solvable by hand.

The line estate: three sites on a straight road, two zones at its ends. Travel is straight-line
with detour 1 at 60 km/h, so 1 km = 1 minute and every optimum below can be checked on paper.

    Z1,S1 (0 km) ----------- S3 (5 km) ----------- Z2,S2 (10 km)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ORLIB = ROOT / "benchmarks" / "orlib"
SCENARIOS = ROOT / "scenarios"


def line_tables() -> dict[str, pd.DataFrame]:
    sites = pd.DataFrame({
        "site_id": ["S1", "S2", "S3"], "name": ["West House", "East House", "Middle Hall"],
        "owner": ["Council", "NHS Trust", "Council"], "owner_type": ["council", "nhs", "council"],
        "easting": [400000, 410000, 405000], "northing": [300000, 300000, 300000],
        "floor_area_m2": [1000, 1000, 300], "running_cost_gbp": [100000, 80000, 50000],
        "backlog_gbp": [0, 0, 0], "disposal_value_gbp": [0, 0, 0], "disposal_cost_gbp": [0, 0, 0],
        "can_host": ["lib", "lib", "lib"],
    })
    services = pd.DataFrame({"service_id": ["lib"], "name": ["Library"], "space_m2_per_unit": [1.0],
                             "max_travel_min": [6.0], "required_share": [1.0]})
    occupation = pd.DataFrame({"site_id": ["S1", "S2"], "service_id": ["lib", "lib"], "floor_area_m2": [100, 100]})
    zones = pd.DataFrame({"zone_id": ["Z1", "Z2"], "name": ["West", "East"], "population": [100, 100],
                          "easting": [400000, 410000], "northing": [300000, 300000]})
    return {"sites": sites, "services": services, "occupation": occupation, "zones": zones}


def write_scenario(folder: Path, tables: dict[str, pd.DataFrame], settings: dict | None = None,
                   name: str = "scenario.yaml") -> Path:
    """Write tables as CSV files and a scenario naming them; return the scenario path."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = {}
    for table, df in tables.items():
        df.to_csv(folder / f"{table}.csv", index=False)
        inputs[table] = f"{table}.csv"
    settings = dict(settings or {})
    data = {"name": settings.pop("name", "line estate"), "inputs": inputs,
            "travel": {"detour_factor": 1.0, "speed_kmh": 60.0}, **settings}
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def line(tmp_path):
    """(tables, writer): edit the tables, then call writer(settings) for a scenario path."""
    tables = line_tables()

    def make(settings=None, name="scenario.yaml"):
        return write_scenario(tmp_path / "in", tables, settings, name)

    return tables, make


# Tests assert on what the solver proved (status, gap), never on how long it took: a solve given this "limit"
# stops only at its gap tolerance, so its outcome is the same on a fast machine and on a busy one (HiGHS is
# deterministic for given options; only the duration varies). The scenario schema wants a finite number of
# seconds; 1e9 s (32 years) stands in for HiGHS's own default, no limit.
NO_TIME_LIMIT = 1e9


# Slow tests (over ~10 s on 2 cores) in files whose owners were editing them when the tiers were made;
# these belong as @pytest.mark.slow in the files themselves, and a name listed here that no longer exists warns.
SLOW_ELSEWHERE = {
    "tests/test_cli.py::test_cbc_time_limit_is_honest",
    "tests/test_cli.py::test_time_limited_plan_is_not_called_optimal",
    "tests/test_engine.py::test_ctrl_c_with_a_plan_returns_it_labelled_with_its_gap",
    "tests/test_engine.py::test_a_progress_callback_can_stop_the_solve_and_keep_the_best_plan",
    "tests/test_interrupt.py::test_ctrl_c_during_the_solve_stops_promptly_and_keeps_the_best_plan_or_nothing",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(items):
    """The slow tier: whatever solves the Trafford default (minutes) uses that fixture; plus SLOW_ELSEWHERE."""
    seen = set()
    for item in items:
        name = item.nodeid.split("[")[0]
        if name in SLOW_ELSEWHERE or "trafford_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
            seen.add(name)
    collected = {item.nodeid.split("::")[0] for item in items}
    for name in sorted(SLOW_ELSEWHERE - seen):
        if name.split("::")[0] in collected:
            warnings.warn(pytest.PytestWarning(f"conftest.SLOW_ELSEWHERE names {name}, which is not collected"))


@pytest.fixture(scope="session")
def trafford_run(tmp_path_factory):
    """The README's main job, solved once per test session: the Trafford default, written to a folder.

    Solved without a time limit, and written whatever the status (--allow-gap): the tests then check the
    status and gap recorded in summary.json, so a slow machine makes them slower, never different.
    """
    from estate_opt.cli import main

    out = tmp_path_factory.mktemp("runs") / "trafford"  # runs/<scenario stem>, where compare looks
    assert main(["run", str(SCENARIOS / "trafford.yaml"), "--out", str(out), "--time-limit", f"{NO_TIME_LIMIT:g}",
                 "--allow-gap", "-q"]) == 0
    return out
