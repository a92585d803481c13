"""Travel times from zones to sites, as a long table of admissible pairs.

Three ways to get minutes, chosen by the scenario's ``travel.method``:

- ``straight_line`` (default): BNG distance x detour factor / speed + a fixed access time.
  Pairs within a cut-off are found with a KD-tree, never by filling a zones x sites grid.
- ``network``: shortest paths on a road network (``estate_opt.inputs.network``).
- ``matrix``: minutes given in the inputs (e.g. from a routing engine, or a benchmark's costs).

Every method answers the same two questions: all (zone, site) pairs within a cut-off, and each
zone's nearest site among a set (for today's allocation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

PAIR_COLUMNS = ["zone_id", "site_id", "minutes"]
MAX_PAIRS = 20_000_000  # zone-site trips within the longest catchment; beyond this the model cannot fit in memory


class StraightLine:
    """minutes = access_min + distance_km x detour_factor / speed_kmh x 60."""

    def __init__(self, detour_factor: float = 1.3, speed_kmh: float = 20.0, access_min: float = 0.0):
        self.detour_factor = detour_factor
        self.speed_kmh = speed_kmh
        self.access_min = access_min
        self.min_per_m = detour_factor / speed_kmh * 60.0 / 1000.0

    def describe(self) -> str:
        return (f"straight-line distance x {self.detour_factor:g} detour / {self.speed_kmh:g} km/h"
                + (f" + {self.access_min:g} min access" if self.access_min else ""))

    def times(self, zones: pd.DataFrame, sites: pd.DataFrame, max_minutes: float | None) -> pd.DataFrame:
        """All pairs with minutes <= max_minutes (every pair when None). Frames have id index and x, y."""
        if len(zones) == 0 or len(sites) == 0:
            return pd.DataFrame(columns=PAIR_COLUMNS)
        zxy = zones[["x", "y"]].to_numpy(float)
        sxy = sites[["x", "y"]].to_numpy(float)
        if max_minutes is None:
            _guard(len(zxy) * len(sxy), None)
            zi = np.repeat(np.arange(len(zxy)), len(sxy))
            si = np.tile(np.arange(len(sxy)), len(zxy))
        else:
            radius = (max_minutes - self.access_min) / self.min_per_m
            if radius < 0:
                return pd.DataFrame(columns=PAIR_COLUMNS)
            tree = cKDTree(sxy)
            sample = zxy if len(zxy) <= 2000 else zxy[np.random.default_rng(0).choice(len(zxy), 2000, replace=False)]
            _guard(tree.query_ball_point(sample, r=radius, return_length=True).mean() * len(zxy), max_minutes)
            hits = tree.query_ball_point(zxy, r=radius * (1 + 1e-12))
            counts = np.fromiter((len(h) for h in hits), int, len(hits))
            zi = np.repeat(np.arange(len(zxy)), counts)
            si = np.fromiter((j for h in hits for j in h), int, counts.sum())
        minutes = self.access_min + np.hypot(*(zxy[zi] - sxy[si]).T) * self.min_per_m
        out = pd.DataFrame({"zone_id": zones.index.to_numpy()[zi], "site_id": sites.index.to_numpy()[si],
                            "minutes": minutes})
        if max_minutes is not None:
            out = out[out.minutes <= max_minutes + 1e-9]
        return out

    def candidates(self, zones: pd.DataFrame, sites: pd.DataFrame, k: int) -> pd.DataFrame:
        """Each zone's k nearest sites (all pairs when there are at most k sites)."""
        if len(sites) <= k:
            return self.times(zones, sites, None)
        d, j = cKDTree(sites[["x", "y"]].to_numpy(float)).query(zones[["x", "y"]].to_numpy(float), k=k)
        return pd.DataFrame({"zone_id": np.repeat(zones.index.to_numpy(), k), "site_id": sites.index.to_numpy()[j.ravel()],
                             "minutes": self.access_min + d.ravel() * self.min_per_m})

    def nearest(self, zones: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
        """Each zone's nearest site (fewest minutes)."""
        if len(sites) == 0:
            return pd.DataFrame(columns=PAIR_COLUMNS)
        d, j = cKDTree(sites[["x", "y"]].to_numpy(float)).query(zones[["x", "y"]].to_numpy(float), k=1)
        return pd.DataFrame({"zone_id": zones.index.to_numpy(), "site_id": sites.index.to_numpy()[j],
                             "minutes": self.access_min + d * self.min_per_m})


def _guard(n_pairs: float, max_minutes: float | None) -> None:
    """Refuse, with the fix, an area whose catchments admit more trips than any model could hold."""
    if n_pairs <= MAX_PAIRS:
        return
    from estate_opt.errors import InputError, InputProblem

    within = f"within the longest catchment ({max_minutes:g} min)" if max_minutes is not None else \
        "because some service has no catchment limit (every zone to every site)"
    raise InputError(InputProblem(
        "services", f"about {n_pairs:,.0f} zone-site trips lie {within}: more than the {MAX_PAIRS:,} a model can "
        "hold in memory", "set catchment_max_min for the services with long or no standards (trips beyond it are "
        "never used), or split the area into smaller ones (estate-opt sweep --areas)", "catchment_max_min"))


class Matrix:
    """Minutes given as a long table (zone_id, site_id, minutes)."""

    def __init__(self, table: pd.DataFrame, source: str = "travel times"):
        self.table = table[PAIR_COLUMNS].reset_index(drop=True)
        self.source = source

    def describe(self) -> str:
        return f"given travel times ({self.source})"

    def times(self, zones, sites, max_minutes):
        t = self.table[self.table.zone_id.isin(zones.index) & self.table.site_id.isin(sites.index)]
        return t if max_minutes is None else t[t.minutes <= max_minutes + 1e-9]

    def nearest(self, zones, sites):
        t = self.times(zones, sites, None)
        return t.loc[t.groupby("zone_id", sort=False).minutes.idxmin()] if len(t) else t


class Network:
    """Shortest paths on a road network graph (see :mod:`estate_opt.inputs.network`)."""

    def __init__(self, graph, source: str, connector_speed_kmh: float = 5.0, access_min: float = 0.0):
        self.graph = graph
        self.source = source
        self.connector_speed_kmh = connector_speed_kmh
        self.access_min = access_min

    def describe(self) -> str:
        return f"shortest paths on the road network {self.source}"

    def times(self, zones, sites, max_minutes):
        from estate_opt.inputs.network import network_travel_times

        if len(zones) == 0 or len(sites) == 0:
            return pd.DataFrame(columns=PAIR_COLUMNS)
        limit = None if max_minutes is None else max_minutes - self.access_min
        t = network_travel_times(self.graph, _points(zones), _points(sites), max_minutes=limit,
                                 connector_speed_kmh=self.connector_speed_kmh)
        t = t.rename(columns={"origin_id": "zone_id", "destination_id": "site_id"})[PAIR_COLUMNS]
        t["minutes"] = t["minutes"] + self.access_min
        return t

    def nearest(self, zones, sites):
        t = self.times(zones, sites, None)
        return t.loc[t.groupby("zone_id", sort=False).minutes.idxmin()] if len(t) else t


def _points(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"id": df.index.to_numpy(), "x": df.x.to_numpy(float), "y": df.y.to_numpy(float)})


def admissible_pairs(travel, zones: pd.DataFrame, sites: pd.DataFrame, services: pd.DataFrame,
                     hostable: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """The long table of (zone, service, site) triples the model may use.

    A triple is admissible when the zone has demand for the service, the site can host it and
    the trip is within the service's catchment (``catchment``: minutes, NaN = unlimited).
    Returns zone_id, service_id, site_id, minutes, demand, within (trip within the standard).
    """
    catch = services["catchment"]
    limit = None if catch.isna().any() else float(catch.max())
    host_sites = sites.loc[sites.index.isin(hostable.site_id)]
    demand_zones = zones.loc[zones.index.isin(demand.zone_id)]
    times = travel.times(demand_zones, host_sites, limit)
    # Sparse joins only: reachable (zone, site) trips -> the services each site may host -> the zone's
    # demand for them. (Joining demand to hosts first would be zones x hosts per service: dense.)
    pairs = (times.merge(hostable[["site_id", "service_id"]], on="site_id")
             .merge(demand, on=["zone_id", "service_id"]))
    c = pairs.service_id.map(catch)
    pairs = pairs[c.isna() | (pairs.minutes <= c + 1e-9)]
    std = pairs.service_id.map(services["max_travel_min"])
    pairs = pairs.assign(within=std.isna() | (pairs.minutes <= std + 1e-9))
    cols = ["zone_id", "service_id", "site_id", "minutes", "demand", "within"]
    return pairs[cols].sort_values(["service_id", "zone_id", "site_id"]).reset_index(drop=True)


def baseline_allocation(travel, zones: pd.DataFrame, sites: pd.DataFrame, occupation: pd.DataFrame,
                        demand: pd.DataFrame, services: pd.DataFrame) -> pd.DataFrame:
    """Today's allocation: residents use their nearest current site that has room.

    Room is the floor area each service occupies at each site today, divided by its space
    standard (scaled up evenly when today's space falls short of the standard, so there is
    always an answer). Per service this is a transportation problem, solved exactly as an LP;
    a service with no space standard simply goes to the nearest current site. Rows are
    zone_id, service_id, site_id, minutes, demand (served there).
    """
    parts = []
    for service_id, occ in occupation.groupby("service_id", sort=True):
        d = demand[demand.service_id == service_id].set_index("zone_id").demand
        if d.empty:
            continue
        hosts = occ.groupby("site_id").floor_area_m2.sum()
        sigma = float(services.at[service_id, "space_m2_per_unit"])
        if sigma <= 0:
            near = travel.nearest(zones.loc[d.index], sites.loc[hosts.index])
            parts.append(near.assign(service_id=service_id, demand=near.zone_id.map(d).to_numpy(float)))
            continue
        room = hosts / sigma * max(1.0, sigma * d.sum() / hosts.sum())
        z, h = zones.loc[d.index], sites.loc[hosts.index]
        found = None
        if hasattr(travel, "candidates"):  # the nearest few current sites first, then more if they lack room
            k = BASELINE_CANDIDATES
            while found is None:
                last = k >= len(h) or 4 * k * len(z) > MAX_PAIRS
                found = _transport(travel.candidates(z, h, min(k, len(h))), d, room, required=last)
                k *= 4
        else:
            found = _transport(travel.times(z, h, None), d, room, required=True)
        parts.append(found.assign(service_id=service_id))
    cols = ["zone_id", "service_id", "site_id", "minutes", "demand"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


BASELINE_CANDIDATES = 25  # nearest current sites per zone tried first for today's allocation


def _transport(times: pd.DataFrame, demand: pd.Series, room: pd.Series, required: bool = False):
    """Least demand-weighted minutes sending each zone's demand to sites with room (exact LP).

    Returns None when the given pairs cannot take everyone (unless ``required``: then each zone
    falls back to its nearest site)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    t = times.reset_index(drop=True)
    zi = pd.Index(demand.index).get_indexer(t.zone_id)
    si = pd.Index(room.index).get_indexer(t.site_id)
    n = len(t)
    dz = demand.to_numpy(float)[zi]
    cols = np.arange(n)
    a_eq = csr_matrix((np.ones(n), (zi, cols)), shape=(len(demand), n))
    a_ub = csr_matrix((dz, (si, cols)), shape=(len(room), n))
    res = linprog(dz * t.minutes.to_numpy(float), A_ub=a_ub, b_ub=room.to_numpy(float) * (1 + 1e-9),
                  A_eq=a_eq, b_eq=np.ones(len(demand)), bounds=(0, 1), method="highs")
    if res.status != 0 and not required:
        return None
    if res.status != 0:  # only when a huge area limits the candidates: each zone to its nearest
        x = np.zeros(n)
        x[t.groupby("zone_id").minutes.idxmin().to_numpy()] = 1.0
    else:
        x = res.x
    keep = x > 1e-6
    out = t.loc[keep, ["zone_id", "site_id", "minutes"]].copy()
    share = x[keep] / pd.Series(x[keep]).groupby(out.zone_id.to_numpy()).transform("sum").to_numpy()
    out["demand"] = dz[keep] * share
    return out
