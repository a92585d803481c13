"""Tests for estate_opt.inputs.network on hand-made graphs, a tiny OSM file and the real
Rutland extract (data/raw/osm_rutland/rutland-latest.osm.pbf)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from estate_opt.inputs.network import (
    DEFAULT_SPEEDS_KMH,
    MPH_TO_KMH,
    load_road_graph,
    network_travel_times,
    parse_maxspeed,
    snap_points,
)

RUTLAND_PBF = Path(__file__).resolve().parents[1] / "data/raw/osm_rutland/rutland-latest.osm.pbf"
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# Approximate town/village centres (lon, lat).
PLACES = {
    "oakham": (-0.7285, 52.6700),
    "uppingham": (-0.7235, 52.5870),
    "cottesmore": (-0.6650, 52.7120),
    "empingham": (-0.5960, 52.6670),
    "ketton": (-0.5530, 52.6260),
}


def points(names) -> pd.DataFrame:
    x, y = TO_BNG.transform([PLACES[n][0] for n in names], [PLACES[n][1] for n in names])
    return pd.DataFrame({"id": list(names), "x": x, "y": y})


def make_graph(nodes: dict, edges: list[tuple]) -> nx.Graph:
    """Graph with nodes {id: (x, y)} and edges [(u, v, minutes)]."""
    g = nx.Graph()
    for n, (x, y) in nodes.items():
        g.add_node(n, x=float(x), y=float(y))
    for u, v, minutes in edges:
        g.add_edge(u, v, minutes=float(minutes), length_m=1.0)
    return g


@pytest.fixture(scope="module")
def rutland() -> nx.Graph:
    if not RUTLAND_PBF.exists():
        pytest.skip(f"{RUTLAND_PBF} missing")
    return load_road_graph(RUTLAND_PBF)


# ---------------------------------------------------------------- hand-made graph

# Square a-b-c-d, 1 km sides: a->c is 2+3 = 5 min via b, 10+1 = 11 via d.
SQUARE = make_graph(
    {"a": (0, 0), "b": (1000, 0), "c": (1000, 1000), "d": (0, 1000)},
    [("a", "b", 2), ("b", "c", 3), ("a", "d", 10), ("d", "c", 1)],
)
# 6 km/h = 100 m/min, so snap distances below give exact binary fractions.
WALK = 6.0


def test_square_exact_minutes_with_connectors():
    origins = pd.DataFrame({"id": [1, 2], "x": [0.0, 0.0], "y": [-50.0, 1000.0]})
    dest = pd.DataFrame({"id": ["s"], "x": [1025.0], "y": [1000.0]})
    out = network_travel_times(SQUARE, origins, dest, connector_speed_kmh=WALK)
    assert list(out.columns) == ["origin_id", "destination_id", "minutes"]
    got = dict(zip(out["origin_id"], out["minutes"]))
    # origin 1: 0.5 walk to a, 5 network a->b->c, 0.25 walk from c
    assert got[1] == pytest.approx(0.5 + 5 + 0.25, abs=1e-12)
    # origin 2 sits on d: 1 min d->c + 0.25
    assert got[2] == pytest.approx(1.25, abs=1e-12)
    # id dtypes are the callers'
    assert out["origin_id"].dtype == origins["id"].dtype
    assert out["destination_id"].dtype == dest["id"].dtype


def test_square_max_minutes_inclusive_boundary():
    origins = pd.DataFrame({"id": [1, 2], "x": [0.0, 0.0], "y": [-50.0, 1000.0]})
    dest = pd.DataFrame({"id": ["s"], "x": [1025.0], "y": [1000.0]})
    at_limit = network_travel_times(
        SQUARE, origins, dest, max_minutes=5.75, connector_speed_kmh=WALK
    )
    assert sorted(at_limit["origin_id"]) == [1, 2]
    below = network_travel_times(SQUARE, origins, dest, max_minutes=5.74, connector_speed_kmh=WALK)
    assert below["origin_id"].tolist() == [2]
    none = network_travel_times(SQUARE, origins, dest, max_minutes=0.2, connector_speed_kmh=WALK)
    assert none.empty and list(none.columns) == ["origin_id", "destination_id", "minutes"]


def test_coincident_points_and_shared_snap_node():
    # Origin and a destination at the same spot 30 m off node b: 0 network + 2 x 0.3.
    origins = pd.DataFrame({"id": ["z"], "x": [1000.0], "y": [-30.0]})
    dest = pd.DataFrame(
        {"id": ["same", "near_b", "far"], "x": [1000.0] * 3, "y": [-30.0, 10.0, 6000.0]}
    )
    out = network_travel_times(SQUARE, origins, dest, connector_speed_kmh=WALK)
    got = dict(zip(out["destination_id"], out["minutes"]))
    assert out["destination_id"].tolist() == ["same", "near_b", "far"]  # input order kept
    assert got["same"] == pytest.approx(0.6)
    assert got["near_b"] == pytest.approx(0.3 + 0.1)
    # 'far' is 5 km from c: walking it dominates (50 min) on top of b->c (3 min)
    assert got["far"] == pytest.approx(0.3 + 3 + 50)


def test_unreachable_pairs_are_omitted():
    g = make_graph({"a": (0, 0), "b": (100, 0), "c": (5000, 0), "d": (5100, 0)},
                   [("a", "b", 1), ("c", "d", 1)])
    origins = pd.DataFrame({"id": [1, 2], "x": [0.0, 5100.0], "y": [0.0, 0.0]})
    dest = pd.DataFrame({"id": [9], "x": [100.0], "y": [0.0]})
    out = network_travel_times(g, origins, dest)
    assert out["origin_id"].tolist() == [1] and out["minutes"].tolist() == [1.0]


def test_empty_inputs_and_bad_columns():
    empty = pd.DataFrame({"id": pd.Series([], dtype=int), "x": [], "y": []})
    dest = pd.DataFrame({"id": [1], "x": [0.0], "y": [0.0]})
    assert network_travel_times(SQUARE, empty, dest).empty
    with pytest.raises(ValueError, match="id, x, y"):
        network_travel_times(SQUARE, dest.drop(columns="y"), dest)
    with pytest.raises(ValueError, match="non-finite"):
        network_travel_times(SQUARE, dest.assign(x=np.nan), dest)


# ---------------------------------------------------------------- tiny OSM file

LON0, LAT0 = -0.70, 52.65
TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  {nodes}
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="10 mph"/><tag k="oneway" v="yes"/></way>
  <way id="101"><nd ref="4"/><nd ref="5"/><tag k="highway" v="unclassified"/><tag k="maxspeed" v="60 mph"/></way>
  <way id="102"><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="103"><nd ref="2"/><nd ref="7"/>
    <tag k="highway" v="residential"/><tag k="access" v="private"/></way>
  <way id="104"><nd ref="1"/><nd ref="8"/>
    <tag k="highway" v="service"/><tag k="service" v="parking_aisle"/></way>
  <way id="105"><nd ref="5"/><tag k="highway" v="residential"/></way>
  <way id="106"><nd ref="1"/><nd ref="9"/><nd ref="10"/><nd ref="1"/>
    <tag k="highway" v="residential"/><tag k="area" v="yes"/></way>
  <way id="107"><nd ref="11"/><nd ref="12"/><tag k="highway" v="residential"/></way>
  <way id="108"><nd ref="5"/><nd ref="13"/>
    <tag k="highway" v="service"/><tag k="access" v="no"/><tag k="motorcar" v="yes"/></way>
</osm>
"""
# node id -> (dlon, dlat) from (LON0, LAT0); node 4 duplicates node 3's location.
TINY_NODES = {
    1: (0, 0), 2: (0.005, 0), 3: (0.005, 0.004), 4: (0.005, 0.004), 5: (0.010, 0.004),
    6: (0.010, 0.008), 7: (0.005, -0.004), 8: (-0.002, 0), 9: (-0.003, 0.001),
    10: (-0.003, -0.001), 11: (0.05, 0.05), 12: (0.051, 0.05), 13: (0.012, 0.004),
}


@pytest.fixture()
def tiny_osm(tmp_path) -> Path:
    nodes = "\n  ".join(
        f'<node id="{i}" version="1" lat="{LAT0 + dlat:.7f}" lon="{LON0 + dlon:.7f}"/>'
        for i, (dlon, dlat) in TINY_NODES.items()
    )
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM.format(nodes=nodes))
    return path


def _bng(node):
    dlon, dlat = TINY_NODES[node]
    return TO_BNG.transform(LON0 + dlon, LAT0 + dlat)


def test_tiny_osm_filters_and_speeds(tiny_osm):
    g = load_road_graph(tiny_osm)
    # footway, private, parking aisle, area, one-node way dropped; 11-12 is a separate
    # component; node 4 merged into node 3 (same location).
    assert set(g.nodes) == {1, 2, 3, 5, 13}
    assert set(map(frozenset, g.edges)) == {
        frozenset(e) for e in [(1, 2), (2, 3), (3, 5), (5, 13)]
    }
    assert g.graph["crs"] == "EPSG:27700"
    x1, y1 = _bng(1)
    x2, y2 = _bng(2)
    assert (g.nodes[1]["x"], g.nodes[1]["y"]) == pytest.approx((x1, y1))
    length = math.hypot(x2 - x1, y2 - y1)
    e = g.edges[1, 2]
    assert e["length_m"] == pytest.approx(length)
    # maxspeed "10 mph" caps the residential default (30 km/h) ...
    assert e["minutes"] == pytest.approx(length / (10 * MPH_TO_KMH * 1000 / 60))
    # ... while "60 mph" does not raise the unclassified default (40 km/h)
    e35 = g.edges[3, 5]
    assert e35["minutes"] == pytest.approx(
        e35["length_m"] / (DEFAULT_SPEEDS_KMH["unclassified"] * 1000 / 60)
    )
    # one-way street is usable both ways: 3 -> 1 along way 100 against its direction
    t31 = nx.shortest_path_length(g, 3, 1, weight="minutes")
    assert t31 == pytest.approx(g.edges[1, 2]["minutes"] + g.edges[2, 3]["minutes"])


def test_tiny_osm_custom_speeds(tiny_osm):
    g = load_road_graph(tiny_osm, speeds_kmh={"unclassified": 20.0, "residential": 10.0})
    assert set(g.nodes) == {1, 2, 3, 5}  # service no longer in the table
    e = g.edges[3, 5]
    assert e["minutes"] == pytest.approx(e["length_m"] / (20 * 1000 / 60))


def test_maxspeed_parsing():
    assert parse_maxspeed("30 mph") == pytest.approx(48.28032)
    assert parse_maxspeed("50") == 50.0
    assert parse_maxspeed("50 km/h") == 50.0
    assert parse_maxspeed("GB:nsl_single") == pytest.approx(60 * MPH_TO_KMH)
    for bad in (None, "", "none", "signals", "30 mph;40 mph", "0"):
        assert parse_maxspeed(bad) is None


def test_bad_files_raise_value_error_naming_file(tmp_path):
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(ValueError, match="nowhere.osm.pbf"):
        load_road_graph(missing)
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"this is not a pbf file at all")
    with pytest.raises(ValueError, match="garbage.osm.pbf"):
        load_road_graph(garbage)
    no_roads = tmp_path / "noroads.osm"
    no_roads.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" version="1" lat="52.6" lon="-0.7"/>'
        '<node id="2" version="1" lat="52.61" lon="-0.7"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>'
    )
    with pytest.raises(ValueError, match="noroads.osm.*no drivable roads"):
        load_road_graph(no_roads)


# ---------------------------------------------------------------- real Rutland extract


def test_rutland_graph_shape(rutland):
    assert rutland.number_of_nodes() > 5000 and rutland.number_of_edges() > 5000
    assert nx.is_connected(rutland)
    minutes = np.array([m for _, _, m in rutland.edges(data="minutes")])
    lengths = np.array([m for _, _, m in rutland.edges(data="length_m")])
    assert (minutes > 0).all() and (lengths > 0).all()
    # implied speeds stay within the table / UK limits (5 mph..70 mph)
    kmh = lengths / minutes * 60 / 1000
    assert kmh.min() >= 5 * MPH_TO_KMH - 1e-6 and kmh.max() <= 70 * MPH_TO_KMH + 1e-6
    x = np.array([d["x"] for _, d in rutland.nodes(data=True)])
    y = np.array([d["y"] for _, d in rutland.nodes(data=True)])
    # Rutland is ~480-505 km E, 295-320 km N; Geofabrik's polygon adds a few km margin.
    assert 475_000 < x.min() and x.max() < 510_000
    assert 290_000 < y.min() and y.max() < 322_000
    highways = {h for _, _, h in rutland.edges(data="highway")}
    assert {"trunk", "residential", "unclassified"} <= highways
    assert highways <= set(DEFAULT_SPEEDS_KMH)


def test_oakham_uppingham_plausible_and_symmetric(rutland):
    a, b = points(["oakham"]), points(["uppingham"])
    straight_m = math.hypot(a.x[0] - b.x[0], a.y[0] - b.y[0])
    assert straight_m == pytest.approx(9200, abs=200)
    ab = network_travel_times(rutland, a, b)
    ba = network_travel_times(rutland, b, a)
    assert len(ab) == len(ba) == 1
    t = ab["minutes"].iloc[0]
    assert 8 < t < 25
    assert ba["minutes"].iloc[0] == pytest.approx(t, rel=1e-12)
    # network length of the fastest route exceeds the straight line
    (na, nb), snap = snap_points(rutland, [a.x[0], b.x[0]], [a.y[0], b.y[0]])
    assert (snap < 200).all()  # both town centres are on the road network
    path = nx.dijkstra_path(rutland, na, nb, weight="minutes")
    km = nx.path_weight(rutland, path, "length_m") / 1000
    assert straight_m / 1000 < km < 2 * straight_m / 1000
    connectors = snap.sum() / (5.0 * 1000 / 60)
    assert t == pytest.approx(nx.path_weight(rutland, path, "minutes") + connectors)


def test_rutland_triangle_inequality_and_diagonal(rutland):
    pts = points(PLACES)
    out = network_travel_times(rutland, pts, pts)
    assert len(out) == len(pts) ** 2  # connected graph, no limit: all pairs
    t = {(o, d): m for o, d, m in out.itertuples(index=False)}
    _, snap = snap_points(rutland, pts.x, pts.y)
    walk = dict(zip(pts.id, snap / (5.0 * 1000 / 60)))
    for p in pts.id:  # same place: 0 network minutes + both connectors
        assert t[p, p] == pytest.approx(2 * walk[p])
    for a, b, c in itertools.permutations(pts.id, 3):
        # each t already includes its own connectors, so t(a,b)+t(b,c) also pays 2x at b
        assert t[a, c] <= t[a, b] + t[b, c] + 1e-9
        assert t[a, c] == pytest.approx(t[c, a], rel=1e-12)


def test_rutland_max_minutes_is_a_filter_of_all_pairs(rutland):
    rng = np.random.default_rng(0)
    xs = np.array([d["x"] for _, d in rutland.nodes(data=True)])
    ys = np.array([d["y"] for _, d in rutland.nodes(data=True)])
    zones = pd.DataFrame({
        "id": np.arange(300),
        "x": rng.uniform(np.percentile(xs, 5), np.percentile(xs, 95), 300),
        "y": rng.uniform(np.percentile(ys, 5), np.percentile(ys, 95), 300),
    })
    sites = points(PLACES)
    full = network_travel_times(rutland, zones, sites)
    assert len(full) == 300 * len(sites)
    limited = network_travel_times(rutland, zones, sites, max_minutes=12.0)
    expected = full[full.minutes <= 12.0].reset_index(drop=True)
    assert 0 < len(limited) < len(full)
    pd.testing.assert_frame_equal(limited, expected)
