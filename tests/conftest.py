"""Shared fixtures: small estates written as real input files, solvable by hand.

The line estate: three sites on a straight road, two zones at its ends. Travel is straight-line
with detour 1 at 60 km/h, so 1 km = 1 minute and every optimum below can be checked on paper.

    Z1,S1 (0 km) ----------- S3 (5 km) ----------- Z2,S2 (10 km)
"""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def trafford_run(tmp_path_factory):
    """The README's main job, solved once per test session: the Trafford default, written to a folder."""
    from estate_opt.cli import main

    out = tmp_path_factory.mktemp("runs") / "trafford"  # runs/<scenario stem>, where compare looks
    assert main(["run", str(SCENARIOS / "trafford.yaml"), "--out", str(out), "-q"]) == 0
    return out
