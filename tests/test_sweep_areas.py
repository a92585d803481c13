"""``estate-opt sweep --areas``: every file a scenario names is taken from the area's folder.

The line estate on a road network: one road through West House (0 km), Middle Hall (5 km) and
East House (10 km). On a motorway (96 km/h) the hall is 3.1 minutes from either end, so it alone
meets the 6-minute standard (£50,000/yr); on a residential road (30 km/h) it is 10 minutes away
and both end houses must stay (£180,000/yr).
"""

from __future__ import annotations

import json

import pytest
from conftest import line_tables, write_scenario
from pyproj import Transformer

from estate_opt.analysis.sweep import Job, run_job, scenario_for
from estate_opt.errors import InputError

pytest.importorskip("osmium")

TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def write_road(path, highway: str):
    """One straight road along northing 300000 from easting 400000 to 410000, as OSM XML."""
    nodes = []
    for i, e in enumerate(range(400000, 410001, 2500), start=1):
        lon, lat = TO_WGS84.transform(e, 300000)
        nodes.append(f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    refs = "".join(f'<nd ref="{i}"/>' for i in range(1, len(nodes) + 1))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
                    + "\n".join(nodes) + f'\n<way id="1">{refs}<tag k="highway" v="{highway}"/></way>\n</osm>\n')
    return path


@pytest.fixture
def network_scenario(tmp_path):
    """A line-estate scenario routed on a slow road, and an area folder whose road is fast."""
    on_roads = {"name": "line", "travel": {"method": "network", "network": "roads.osm"}}
    base = write_scenario(tmp_path / "base", line_tables(), on_roads, "line.yaml")
    write_road(tmp_path / "base" / "roads.osm", "residential")
    fast = tmp_path / "areas" / "fast"
    write_scenario(fast, line_tables())
    write_road(fast / "roads.osm", "motorway")
    return base, fast


def test_an_area_is_routed_on_its_own_road_network(network_scenario, tmp_path):
    base, fast = network_scenario
    assert scenario_for(Job(base, fast)).travel.network == fast / "roads.osm"
    row = run_job(Job(base), tmp_path / "out", pack=False)
    assert row["outcome"] == "solved" and row["objective_gbp_per_yr"] == pytest.approx(180000)
    row = run_job(Job(base, fast), tmp_path / "out", pack=False)
    assert row["outcome"] == "solved", row["message"]
    assert row["objective_gbp_per_yr"] == pytest.approx(50000)  # the area's fast road, not the scenario's slow one
    summary = json.loads((tmp_path / "out" / "line--fast" / "summary.json").read_text())
    assert summary["settings"]["travel"]["network"] == str(fast / "roads.osm")


def test_an_area_without_the_road_network_is_refused(network_scenario):
    base, fast = network_scenario
    (fast / "roads.osm").unlink()
    with pytest.raises(InputError, match="lacks roads.osm"):
        scenario_for(Job(base, fast))


def test_a_road_network_the_travel_method_does_not_use_may_be_absent(tmp_path):
    unused = {"name": "line", "travel": {"method": "straight_line", "network": "roads.osm",
                                         "detour_factor": 1.0, "speed_kmh": 60.0}}
    base = write_scenario(tmp_path / "base", line_tables(), unused, "line.yaml")
    write_road(tmp_path / "base" / "roads.osm", "residential")
    area = tmp_path / "areas" / "plain"
    write_scenario(area, line_tables())
    assert scenario_for(Job(base, area)).travel.network is None


def test_a_travel_time_matrix_is_taken_from_the_area(tmp_path):
    import pandas as pd

    tables = line_tables()
    tables["travel_times"] = pd.DataFrame({"zone_id": ["Z1", "Z2"], "site_id": ["S1", "S2"], "minutes": [0.0, 0.0]})
    base = write_scenario(tmp_path / "base", tables, {"name": "line", "travel": {"method": "matrix"}}, "line.yaml")
    area = tmp_path / "areas" / "given"
    write_scenario(area, tables)
    sc = scenario_for(Job(base, area))
    assert sc.inputs.travel_times == area / "travel_times.csv" and sc.travel.method == "matrix"
    (area / "travel_times.csv").unlink()
    with pytest.raises(InputError, match="lacks travel_times.csv"):
        scenario_for(Job(base, area))
