"""Travel times on a real road network (OpenStreetMap) with networkx.

The default travel time in estate_opt is straight-line BNG distance x detour / speed.
When a scenario names an OSM extract, this module replaces it with shortest-path
driving times on that extract's road graph:

1. :func:`load_road_graph` reads the ``.osm.pbf`` (or ``.osm`` XML) with pyosmium and
   builds an undirected :class:`networkx.Graph` in British National Grid metres whose
   edges carry ``length_m`` and ``minutes``.
2. :func:`network_travel_times` snaps zones (origins) and sites (destinations) to their
   nearest road node, adds the snap distance at walking speed at both ends, and runs one
   Dijkstra per site, returning a long ``origin_id, destination_id, minutes`` table.

Times are free-flow: no congestion, junction delays or turn penalties.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from estate_opt.errors import InputError, InputProblem

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "RoadNetworkError",
    "load_road_graph",
    "network_travel_times",
    "parse_maxspeed",
    "snap_points",
]

# Assumed average free-flow driving speeds (km/h) per OSM highway class: typical UK
# urban/rural speeds, not measured values. Override with ``speeds_kmh=``; a way's own
# parseable ``maxspeed`` tag caps its class speed. Only classes listed here are kept, so
# footways, tracks, bridleways, cycleways, steps etc. are excluded as non-drivable.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 96.0,  # ~60 mph average on a 70 mph road
    "motorway_link": 56.0,
    "trunk": 80.0,
    "trunk_link": 48.0,
    "primary": 64.0,
    "primary_link": 40.0,
    "secondary": 56.0,
    "secondary_link": 40.0,
    "tertiary": 48.0,
    "tertiary_link": 32.0,
    "unclassified": 40.0,  # rural lanes
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
}

MPH_TO_KMH = 1.609344

# Access values that close a way to residents' cars. The most specific key present wins
# (motorcar=yes on an access=no way keeps it open), as in common OSM routing profiles.
_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
_BLOCKED_ACCESS = frozenset(
    {"no", "private", "agricultural", "forestry", "emergency", "military", "discouraged"}
)
# service=* sub-types that are not through routes for a resident's trip.
_SKIPPED_SERVICE = frozenset({"parking_aisle", "driveway", "drive-through", "emergency_access"})

# UK implicit limits (national speed limit etc.), in mph.
_IMPLICIT_MAXSPEED_MPH = {
    "gb:nsl_single": 60.0,
    "gb:nsl_dual": 70.0,
    "gb:motorway": 70.0,
    "uk:nsl_single": 60.0,
    "uk:nsl_dual": 70.0,
    "uk:motorway": 70.0,
}
_MAXSPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)

# Float slack so a pair whose time equals max_minutes exactly is kept despite rounding
# in the sums of edge and connector times.
_EPS = 1e-9

_NO_ROADS = ("the OSM file contains no drivable roads (highway=* ways a car may use; footways, paths, tracks and "
             "private roads are left out)")
_FIX_EXTRACT = ("give travel.network an OpenStreetMap extract (.osm.pbf) covering the area's roads, e.g. from "
                "download.geofabrik.de, or set travel.method: straight_line")


class RoadNetworkError(InputError, ValueError):
    """An OSM file that gives no road graph: an input problem naming the file and the fix.

    Still a :class:`ValueError`, as this module has always raised for a bad file.
    """


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM ``maxspeed`` tag into km/h.

    Parameters
    ----------
    value : str or None
        Tag value, e.g. ``"30 mph"``, ``"50"`` (km/h, the OSM default unit),
        ``"50 km/h"`` or ``"GB:nsl_single"``.

    Returns
    -------
    float or None
        Speed in km/h, or None when the value is missing, non-positive or not a
        single speed (``"none"``, ``"signals"``, ``"30 mph;40 mph"``...).
    """
    if not value:
        return None
    implicit = _IMPLICIT_MAXSPEED_MPH.get(value.strip().lower())
    if implicit is not None:
        return implicit * MPH_TO_KMH
    m = _MAXSPEED_RE.match(value)
    if not m:
        return None
    speed = float(m.group(1))
    if speed <= 0:
        return None
    if m.group(2) and m.group(2).lower() == "mph":
        speed *= MPH_TO_KMH
    return speed


def _is_drivable(tags, speeds: Mapping[str, float]) -> bool:
    if tags.get("highway") not in speeds:
        return False
    if tags.get("area") == "yes":
        return False
    if tags.get("service") in _SKIPPED_SERVICE:
        return False
    for key in _ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            return value not in _BLOCKED_ACCESS
    return True


def _read_drivable_ways(path: str, speeds: Mapping[str, float]):
    """Return ``[(nodes, speed_kmh, highway)]`` for drivable ways, nodes = [(ref, lon, lat)]."""
    import osmium  # imported lazily so the rest of estate_opt works without pyosmium

    processor = (
        # Nodes must be read for the location cache; filters then pass on only ways.
        osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    ways = []
    for way in processor:
        tags = way.tags
        if not _is_drivable(tags, speeds):
            continue
        highway = tags.get("highway")
        # A signed limit caps the class's average speed; it never raises it (traffic and
        # junctions keep averages below limits, e.g. a 60 mph A-road is not driven at 60).
        limit = parse_maxspeed(tags.get("maxspeed"))
        speed = min(limit, float(speeds[highway])) if limit else float(speeds[highway])
        # A node missing from the extract splits the way rather than dropping it.
        part: list[tuple[int, float, float]] = []
        for nd in way.nodes:
            loc = nd.location
            if loc.valid():
                part.append((nd.ref, loc.lon, loc.lat))
            else:
                if len(part) >= 2:
                    ways.append((part, speed, highway))
                part = []
        if len(part) >= 2:  # a one-node way has no segment to route along
            ways.append((part, speed, highway))
    return ways


def load_road_graph(path, *, speeds_kmh=None, crs="EPSG:27700") -> nx.Graph:
    """Build an undirected, drivable road graph from an OpenStreetMap extract.

    Ways are kept when their ``highway`` class is a key of the speed table, they are
    not areas (``area=yes``), not closed to cars (``access``/``vehicle``/
    ``motor_vehicle``/``motorcar`` = ``no``, ``private``, ``agricultural``...) and not
    a minor service sub-type (``service=parking_aisle``, ``driveway``,
    ``drive-through``, ``emergency_access``).

    One-way streets are treated as two-way: residents' trips to a site are round trips,
    so the outbound and return legs use the same streets in aggregate, and a symmetric
    graph lets one Dijkstra per site give every zone->site time.

    OSM nodes at identical coordinates are merged (duplicate nodes are a common mapping
    error that would otherwise leave zero-length edges or broken junctions). Where two
    ways join the same pair of nodes the faster edge is kept. Only the **largest
    connected component** is returned, so every snapped point can reach every other;
    isolated fragments (e.g. roads cut by the extract boundary) are dropped.

    Parameters
    ----------
    path : str or os.PathLike
        ``.osm.pbf``, ``.osm`` or ``.osm.xml`` file.
    speeds_kmh : mapping of str to float, optional
        Speed (km/h) per OSM ``highway`` class; replaces :data:`DEFAULT_SPEEDS_KMH`
        entirely (classes left out are dropped). A way's parseable ``maxspeed`` tag
        (e.g. ``"20 mph"``) caps its class speed; it never raises it.
    crs : str, default "EPSG:27700"
        Projected CRS in metres for node coordinates and edge lengths.

    Returns
    -------
    networkx.Graph
        Nodes are OSM node ids with attributes ``x``, ``y`` (``crs`` metres).
        Edges carry ``length_m`` (straight segments in ``crs``), ``minutes``
        (``length_m`` at the way's speed) and ``highway``. ``graph.graph`` records
        ``crs`` and ``source``.

    Raises
    ------
    RoadNetworkError
        If the file is missing, cannot be read or contains no drivable roads: an
        :class:`~estate_opt.errors.InputError` (and a ``ValueError``) naming the file and
        the fix.
    ValueError
        If a speed is not positive.
    """
    speeds = dict(DEFAULT_SPEEDS_KMH if speeds_kmh is None else speeds_kmh)
    bad = {k: v for k, v in speeds.items() if not (v > 0 and math.isfinite(v))}
    if bad:
        raise ValueError(f"speeds_kmh must be positive, got {bad}")

    src = os.fspath(path)
    if not os.path.isfile(src):
        raise RoadNetworkError(InputProblem(src, "the road network (OSM file) does not exist or is not a file",
                                            "check travel.network in the scenario"))
    try:
        ways = _read_drivable_ways(src, speeds)
    except (RuntimeError, OSError) as exc:  # pyosmium reports format errors as RuntimeError
        raise RoadNetworkError(InputProblem(src, f"cannot be read as an OpenStreetMap file ({exc})",
                                            _FIX_EXTRACT)) from exc

    if not ways:
        raise RoadNetworkError(InputProblem(src, _NO_ROADS, _FIX_EXTRACT))

    # Project every distinct node once, vectorised.
    coords: dict[int, tuple[float, float]] = {}
    for part, _, _ in ways:
        for ref, lon, lat in part:
            coords[ref] = (lon, lat)
    refs = np.fromiter(coords.keys(), dtype=np.int64, count=len(coords))
    lonlat = np.array(list(coords.values()), dtype=float)
    xs, ys = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1]
    )

    # Merge nodes sharing exact OSM coordinates onto the first id seen there.
    canonical: dict[int, int] = {}
    xy: dict[int, tuple[float, float]] = {}
    first_at: dict[tuple[float, float], int] = {}
    for ref, (lon, lat), x, y in zip(refs.tolist(), lonlat.tolist(), xs.tolist(), ys.tolist()):
        keep = first_at.setdefault((lon, lat), ref)
        canonical[ref] = keep
        if keep == ref:
            xy[ref] = (x, y)

    graph = nx.Graph(crs=crs, source=src)
    for part, speed, highway in ways:
        metres_per_minute = speed * 1000.0 / 60.0
        prev = canonical[part[0][0]]
        for ref, _, _ in part[1:]:
            node = canonical[ref]
            if node == prev:  # repeated or duplicate-location node: no segment
                continue
            (x0, y0), (x1, y1) = xy[prev], xy[node]
            length = math.hypot(x1 - x0, y1 - y0)
            minutes = length / metres_per_minute
            old = graph.get_edge_data(prev, node)
            if old is None or minutes < old["minutes"]:
                graph.add_edge(prev, node, length_m=length, minutes=minutes, highway=highway)
            prev = node

    if graph.number_of_edges() == 0:
        raise RoadNetworkError(InputProblem(src, _NO_ROADS, _FIX_EXTRACT))

    largest = max(nx.connected_components(graph), key=len)
    graph = graph.subgraph(largest).copy()
    nx.set_node_attributes(graph, {n: xy[n][0] for n in graph}, "x")
    nx.set_node_attributes(graph, {n: xy[n][1] for n in graph}, "y")
    return graph


def _check_points(df: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = {"id", "x", "y"} - set(df.columns)
    if missing:
        raise ValueError(f"{name} needs columns id, x, y; missing {sorted(missing)}")
    xy = df[["x", "y"]].to_numpy(dtype=float)
    if not np.isfinite(xy).all():
        raise ValueError(f"{name} has missing or non-finite x/y coordinates")
    return df


def snap_points(graph: nx.Graph, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Snap points to their nearest graph node.

    Parameters
    ----------
    graph : networkx.Graph
        Nodes with ``x``, ``y`` attributes in the same CRS as the points.
    x, y : array-like of float
        Point coordinates (metres).

    Returns
    -------
    nodes : numpy.ndarray (object)
        Nearest node label per point (ties broken by the lowest node position).
    distance_m : numpy.ndarray (float)
        Straight-line distance from each point to its node. Large values flag
        points far from any road.
    """
    labels = np.array(list(graph.nodes), dtype=object)
    if len(labels) == 0:
        raise ValueError("road graph has no nodes")
    node_x = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float, len(labels))
    node_y = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float, len(labels))
    tree = shapely.STRtree(shapely.points(node_x, node_y))
    pts = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if len(pts) == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    (pt_idx, node_idx), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    # query_nearest returns pairs in input order, one per point with all_matches=False
    order = np.argsort(pt_idx, kind="stable")
    return labels[node_idx[order]], dist[order]


def network_travel_times(
    graph: nx.Graph,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    max_minutes: float | None = None,
    connector_speed_kmh: float = 5.0,
) -> pd.DataFrame:
    """Shortest-path travel times from origins (zones) to destinations (sites).

    Each point is snapped to its nearest graph node (STRtree); the straight-line snap
    distance is added at ``connector_speed_kmh`` at both ends (getting from the point
    to the road). So a point far from any road costs extra time rather than failing,
    and an origin at the same place as a destination gets 0 network minutes plus both
    connector times. One Dijkstra (weight ``minutes``) runs per distinct destination
    node, cut off at ``max_minutes``; the graph is undirected, so site->zone equals
    zone->site.

    Parameters
    ----------
    graph : networkx.Graph
        From :func:`load_road_graph` (or any graph with node ``x``, ``y`` and edge
        ``minutes``), assumed connected; unreachable pairs are simply omitted.
    origins, destinations : pandas.DataFrame
        Columns ``id``, ``x``, ``y`` in the graph's CRS (EPSG:27700 metres).
    max_minutes : float, optional
        Keep only pairs with total time <= ``max_minutes`` (inclusive). None keeps
        every reachable pair.
    connector_speed_kmh : float, default 5.0
        Speed for the off-network snap legs (walking pace).

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``origin_id``, ``destination_id``, ``minutes``, one row
        per kept pair, ordered by destination then origin. No dense origins x
        destinations matrix is built.
    """
    _check_points(origins, "origins")
    _check_points(destinations, "destinations")
    if not connector_speed_kmh > 0:
        raise ValueError(f"connector_speed_kmh must be positive, got {connector_speed_kmh}")
    if max_minutes is not None and not max_minutes >= 0:
        raise ValueError(f"max_minutes must be >= 0 or None, got {max_minutes}")

    empty = pd.DataFrame(
        {
            "origin_id": pd.Series([], dtype=origins["id"].dtype),
            "destination_id": pd.Series([], dtype=destinations["id"].dtype),
            "minutes": pd.Series([], dtype=float),
        }
    )
    if len(origins) == 0 or len(destinations) == 0:
        return empty

    metres_per_minute = connector_speed_kmh * 1000.0 / 60.0
    o_nodes, o_snap = snap_points(graph, origins["x"], origins["y"])
    d_nodes, d_snap = snap_points(graph, destinations["x"], destinations["y"])
    o_conn = o_snap / metres_per_minute
    d_conn = d_snap / metres_per_minute

    # Positions into a dense per-node vector, so each Dijkstra result is read for all
    # origins with numpy indexing instead of a Python loop over origins.
    index = {n: i for i, n in enumerate(graph.nodes)}
    o_pos = np.fromiter(map(index.__getitem__, o_nodes), dtype=np.int64, count=len(o_nodes))
    limit = math.inf if max_minutes is None else float(max_minutes)
    o_conn_min = float(o_conn.min())

    out_o: list[np.ndarray] = []  # origin positions
    out_d: list[np.ndarray] = []  # destination positions
    out_t: list[np.ndarray] = []

    # Group destinations snapped to the same node: one Dijkstra serves them all.
    groups: dict[object, list[int]] = {}
    for j, node in enumerate(d_nodes):
        groups.setdefault(node, []).append(j)

    net = np.empty(len(index), dtype=float)
    for node, members in groups.items():
        # The cheapest possible connectors bound how far the network leg may run.
        budget = limit - float(d_conn[members].min()) - o_conn_min
        if budget < -_EPS:
            continue
        cutoff = None if math.isinf(budget) else budget + _EPS
        dist = nx.single_source_dijkstra_path_length(graph, node, cutoff=cutoff, weight="minutes")
        net.fill(np.inf)
        reached = np.fromiter(map(index.__getitem__, dist.keys()), np.int64, len(dist))
        net[reached] = np.fromiter(dist.values(), float, len(dist))
        net_o = net[o_pos] + o_conn
        for j in members:
            total = net_o + d_conn[j]
            # isfinite drops unreachable nodes, which would pass `<= inf` when no limit
            keep = np.flatnonzero(np.isfinite(total) & (total <= limit + _EPS))
            if keep.size:
                out_o.append(keep)
                out_d.append(np.full(keep.size, j))
                out_t.append(total[keep])

    if not out_t:
        return empty
    o_idx = np.concatenate(out_o)
    d_idx = np.concatenate(out_d)
    # Groups run in first-occurrence order; restore destination input order.
    order = np.argsort(d_idx, kind="stable")
    return pd.DataFrame(
        {
            # take() keeps the callers' id dtypes (int, str, categorical...)
            "origin_id": origins["id"].take(o_idx[order]).reset_index(drop=True),
            "destination_id": destinations["id"].take(d_idx[order]).reset_index(drop=True),
            "minutes": np.concatenate(out_t)[order],
        }
    )
