"""Travel times and admissible pairs: the sparse table equals the brute-force answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, write_scenario
from pyproj import Transformer

from estate_opt.inputs.scenario import load_scenario
from estate_opt.inputs.travel import Matrix, StraightLine
from estate_opt.results.verify import verify_run
from estate_opt.run import run_scenario

RUTLAND_PBF = ROOT / "data" / "raw" / "osm_rutland" / "rutland-latest.osm.pbf"


def _points(n, seed, prefix):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": 380000 + rng.uniform(0, 20000, n), "y": 390000 + rng.uniform(0, 20000, n)},
                        index=[f"{prefix}{i}" for i in range(n)])


def test_straight_line_minutes_by_hand():
    t = StraightLine(detour_factor=1.3, speed_kmh=20.0, access_min=2.0)
    z = pd.DataFrame({"x": [0.0], "y": [0.0]}, index=["Z"])
    s = pd.DataFrame({"x": [3000.0], "y": [4000.0]}, index=["S"])  # 5 km
    assert t.times(z, s, None).minutes.iloc[0] == pytest.approx(2 + 5 * 1.3 / 20 * 60)  # 21.5 min


@pytest.mark.parametrize("limit", [None, 5.0, 17.5, 40.0])
def test_kdtree_pairs_equal_brute_force(limit):
    zones, sites = _points(300, 1, "Z"), _points(80, 2, "S")
    t = StraightLine(1.3, 20.0, 1.0)
    got = t.times(zones, sites, limit).sort_values(["zone_id", "site_id"]).reset_index(drop=True)
    d = np.hypot(zones.x.to_numpy()[:, None] - sites.x.to_numpy()[None, :],
                 zones.y.to_numpy()[:, None] - sites.y.to_numpy()[None, :])
    minutes = 1.0 + d * 1.3 / 20 * 60 / 1000
    zi, si = np.nonzero(minutes <= (np.inf if limit is None else limit))
    want = pd.DataFrame({"zone_id": zones.index[zi], "site_id": sites.index[si], "minutes": minutes[zi, si]}) \
        .sort_values(["zone_id", "site_id"]).reset_index(drop=True)
    assert got[["zone_id", "site_id"]].equals(want[["zone_id", "site_id"]])
    assert np.allclose(got.minutes, want.minutes)
    near = t.nearest(zones, sites).set_index("zone_id").site_id
    assert (near == pd.Series(sites.index[minutes.argmin(axis=1)], index=zones.index)).all()


def test_matrix_filters_by_limit():
    m = Matrix(pd.DataFrame({"zone_id": ["a", "a", "b"], "site_id": ["s", "t", "s"], "minutes": [5.0, 15.0, 10.0]}))
    zones = pd.DataFrame(index=["a", "b"])
    sites = pd.DataFrame(index=["s", "t"])
    assert len(m.times(zones, sites, 10.0)) == 2
    assert m.nearest(zones, sites).set_index("zone_id").site_id.to_dict() == {"a": "s", "b": "s"}


def test_pairs_respect_catchment_and_hosting(line):
    from estate_opt.inputs.estate import load_estate

    tables, make = line
    tables["sites"].loc[2, "can_host"] = ""  # S3 may not host the library
    estate = load_estate(load_scenario(make()))
    assert set(estate.pairs.site_id) == {"S1", "S2"}
    assert estate.pairs.minutes.max() <= 6.0
    assert estate.baseline.set_index("zone_id").site_id.to_dict() == {"Z1": "S1", "Z2": "S2"}


def test_network_scenario_on_real_rutland_roads(tmp_path):
    """Three real places in Rutland; travel on the OSM road network; the plan verifies."""
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    places = {"Oakham": (-0.7285, 52.6700), "Uppingham": (-0.7235, 52.5870), "Cottesmore": (-0.6680, 52.7130),
              "Empingham": (-0.5960, 52.6660)}
    xy = {k: to_bng.transform(*v) for k, v in places.items()}
    sites = pd.DataFrame({
        "site_id": ["OAK", "UPP", "COT"], "name": ["Oakham Library", "Uppingham Library", "Cottesmore Hall"],
        "owner": "Rutland County Council", "owner_type": "council",
        "easting": [xy[k][0] for k in ("Oakham", "Uppingham", "Cottesmore")],
        "northing": [xy[k][1] for k in ("Oakham", "Uppingham", "Cottesmore")],
        "floor_area_m2": [600, 400, 300], "running_cost_gbp": [78000, 52000, 39000], "can_host": "lib"})
    zones = pd.DataFrame({"zone_id": list(places), "population": [10000, 4500, 2500, 1000],
                          "easting": [xy[k][0] for k in places], "northing": [xy[k][1] for k in places]})
    services = pd.DataFrame({"service_id": ["lib"], "name": ["Library"], "space_m2_per_unit": [0.02],
                             "max_travel_min": [15.0]})
    occupation = pd.DataFrame({"site_id": ["OAK", "UPP"], "service_id": "lib", "floor_area_m2": [300, 200]})
    path = write_scenario(tmp_path / "in", {"sites": sites, "services": services, "zones": zones,
                                            "occupation": occupation},
                          {"travel": {"method": "network", "network": str(RUTLAND_PBF)}})
    plan, out = run_scenario(load_scenario(path), tmp_path / "out")
    assert verify_run(out).ok
    # Every trip is on roads: at least as long as a 96 km/h straight line would allow.
    a = plan.allocation.merge(zones, on="zone_id").merge(sites[["site_id", "easting", "northing"]], on="site_id",
                                                          suffixes=("_z", "_s"))
    crow_km = np.hypot(a.easting_z - a.easting_s, a.northing_z - a.northing_s) / 1000
    assert (a.travel_min >= crow_km / 96 * 60 - 1e-9).all()
    assert plan.result.status.value == "optimal" and plan.kpis["sites_after"] >= 1
    assert Path(out / "map.html").exists()
