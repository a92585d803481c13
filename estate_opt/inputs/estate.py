"""The Estate: every input table, checked against the others, plus the admissible pairs.

``load_estate(scenario)`` reads the files a scenario names; ``build_estate(raw, scenario)``
does the rest from raw tables, so other loaders (the OR-Library benchmarks, tests) go through
exactly the same checks and derivations as a user's files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from estate_opt.errors import Problems
from estate_opt.inputs import schema
from estate_opt.inputs.readers import file_hash, read_raw
from estate_opt.inputs.scenario import Scenario
from estate_opt.inputs.travel import (
    Matrix,
    Network,
    StraightLine,
    admissible_pairs,
    baseline_allocation,
)
from estate_opt.inputs.validate import conform

AREA_TOL = 1e-6  # m²: rounding slack when comparing areas


@dataclass
class Estate:
    """Checked inputs of one scenario, indexed by the inputs' own ids.

    Attributes
    ----------
    sites : index site_id; schema columns plus x, y (BNG m), capacity_m2 (floor area less other
        use), net_receipt_gbp, fixed ('retain', 'dispose' or ''), fixed_reason
    services : index service_id; schema columns (scenario overrides applied) plus catchment (min,
        NaN = unlimited) and total_demand
    zones : index zone_id; population, demand bases, x, y
    occupation : site_id, service_id, floor_area_m2 (today)
    demand : zone_id, service_id, demand (> 0 only)
    hostable : site_id, service_id (sites file can_host plus today's occupation)
    pairs : zone_id, service_id, site_id, minutes, demand, within — the admissible triples
    baseline : zone_id, service_id, site_id, minutes, demand — today's allocation: nearest current
        host with room (split where a zone's nearest is full)
    """

    sites: pd.DataFrame
    services: pd.DataFrame
    zones: pd.DataFrame
    occupation: pd.DataFrame
    demand: pd.DataFrame
    hostable: pd.DataFrame
    pairs: pd.DataFrame
    baseline: pd.DataFrame
    travel_description: str
    sources: dict = field(default_factory=dict)  # table -> {"path", "sha256"}
    assumptions: pd.DataFrame | None = None
    boundaries: object = None  # GeoDataFrame of zone polygons (EPSG:4326) for maps, or None
    has_locations: bool = True
    unviable: pd.DataFrame | None = None  # pairs dropped: their site could never be a viable service point
    reach_only: bool = False  # pairs hold only each zone's nearest host per service (validation)


def load_estate(scenario: Scenario, reach_only: bool = False) -> Estate:
    """Read, check and assemble every input a scenario names (``reach_only``: see build_estate)."""
    inp = scenario.inputs
    problems = Problems()
    raw, sources = {}, {}
    for table in ("sites", "services", "zones", "occupation", "travel_times"):
        path = getattr(inp, table)
        if path is None:
            continue
        try:
            raw[table] = read_raw(path, table, sheet=inp.sheets.get(table), layer=inp.layers.get(table))
        except Exception as e:  # collect every unreadable file, not just the first
            from estate_opt.errors import InputError

            if not isinstance(e, InputError):
                raise
            problems.items.extend(e.problems)
            continue
        sources[table] = {"path": str(path), "sha256": file_hash(path)}
    problems.raise_if_any()
    estate = build_estate(raw, scenario, {t: Path(s["path"]).name for t, s in sources.items()}, reach_only)
    if inp.assumptions is not None:
        estate.assumptions = pd.read_csv(inp.assumptions, dtype=str, keep_default_na=False)
        sources["assumptions"] = {"path": str(inp.assumptions), "sha256": file_hash(inp.assumptions)}
    if inp.boundaries is not None:
        estate.boundaries = _read_boundaries(inp.boundaries, estate.zones.index)
        sources["boundaries"] = {"path": str(inp.boundaries), "sha256": file_hash(inp.boundaries)}
    estate.sources = sources
    return estate


def build_estate(raw: dict[str, pd.DataFrame], scenario: Scenario, labels: dict[str, str] | None = None,
                 reach_only: bool = False) -> Estate:
    """Check raw tables against the schema and each other; derive demand, pairs and baseline.

    ``reach_only`` (for ``estate-opt validate``) keeps, with straight-line travel, only each zone's
    nearest admissible host per service instead of every admissible pair, and no baseline: enough
    for every check, in memory proportional to zones x services however large the area.
    """
    labels = {t: (labels or {}).get(t, f"{t} table") for t in schema.TABLES}
    problems = Problems()
    matrix_given = "travel_times" in raw
    need_xy = not matrix_given
    sites = conform(raw["sites"], schema.SITES, labels["sites"], problems, location_required=need_xy)
    services = conform(raw["services"], schema.SERVICES, labels["services"], problems)
    zones = conform(raw["zones"], schema.ZONES, labels["zones"], problems, location_required=need_xy)
    occ_raw = raw.get("occupation")
    if occ_raw is None:
        occ_raw = pd.DataFrame(columns=["site_id", "service_id", "floor_area_m2"])
    occupation = conform(occ_raw, schema.OCCUPATION, labels["occupation"], problems) if len(occ_raw) else \
        pd.DataFrame({"site_id": pd.Series(dtype=str), "service_id": pd.Series(dtype=str),
                      "floor_area_m2": pd.Series(dtype=float)})
    tt = conform(raw["travel_times"], schema.TRAVEL_TIMES, labels["travel_times"], problems) if matrix_given else None
    problems.raise_if_any()  # cross-checks below assume each table is well-formed

    sites = sites.set_index("site_id", drop=False)
    services = services.set_index("service_id", drop=False)
    zones = zones.set_index("zone_id", drop=False)
    _apply_service_overrides(services, scenario, problems)
    _check_occupation(occupation, sites, services, labels["occupation"], problems)
    hostable = _hostable(sites, services, occupation, labels["sites"], problems)
    _check_incompatible(services, labels["services"], problems)
    _resolve_flags(sites, scenario, labels["sites"], problems)
    demand = _demand(zones, services, labels, problems)
    if len(services) and not problems and float(demand.demand.sum() if len(demand) else 0.0) <= 0:
        problems.add(labels["zones"], "no zone has any demand: every population (or demand basis) is zero",
                     "fill in each zone's population, e.g. ONS mid-year estimates by LSOA", "population")
    if need_xy:
        _check_area(sites, zones, labels["sites"], problems)
    if scenario.constraints.max_decile_travel_increase_min is not None:
        d = pd.to_numeric(zones.get("deprivation_decile", pd.Series(index=zones.index, dtype=float)), errors="coerce")
        if d.isna().any():
            problems.add(labels["zones"], "constraints.max_decile_travel_increase_min needs a deprivation_decile "
                         "for every zone", "add a deprivation_decile column (1 = most deprived, 10 = least), e.g. "
                         "from the English Indices of Deprivation", "deprivation_decile", list(zones.index[d.isna()]))
        else:
            zones["deprivation_decile"] = d.astype(int)
    if tt is not None:
        _check_refs(tt, "zone_id", zones.index, labels["travel_times"], "zones", problems)
        _check_refs(tt, "site_id", sites.index, labels["travel_times"], "sites", problems)
        dup = tt.duplicated(["zone_id", "site_id"], keep=False)
        if dup.any():
            problems.add(labels["travel_times"], "repeated zone-site pairs", "give each pair once",
                         ids=sorted(set(tt.zone_id[dup] + "->" + tt.site_id[dup])))
    problems.raise_if_any()

    sites["capacity_m2"] = sites.floor_area_m2 - sites.other_use_m2
    sites["net_receipt_gbp"] = sites.disposal_value_gbp - sites.disposal_cost_gbp
    services["catchment"] = np.where(services.catchment_max_min.notna(), services.catchment_max_min,
                                     np.where(services.required_share >= 1, services.max_travel_min, np.nan))
    services["total_demand"] = demand.groupby("service_id").demand.sum().reindex(services.index).fillna(0.0)

    # A site too small for a viable service point of a service cannot host it.
    too_small = hostable.site_id.map(sites.capacity_m2) < hostable.service_id.map(services.min_site_m2) - AREA_TOL
    travel = _travel(scenario, tt, labels)
    if reach_only and isinstance(travel, StraightLine):
        pairs = _nearest_pairs(travel, zones, sites, services, hostable[~too_small], demand)
        return Estate(sites=sites, services=services, zones=zones, occupation=occupation, demand=demand,
                      hostable=hostable, pairs=pairs, baseline=pairs.iloc[:0], travel_description=travel.describe(),
                      has_locations=True, reach_only=True)
    pairs = admissible_pairs(travel, zones, sites, services, hostable[~too_small], demand)
    pairs, unviable = _drop_unviable(pairs, services)
    baseline = baseline_allocation(travel, zones, sites, occupation, demand, services)
    return Estate(sites=sites, services=services, zones=zones, occupation=occupation, demand=demand,
                  hostable=hostable, pairs=pairs, baseline=baseline, travel_description=travel.describe(),
                  has_locations=bool(sites.x.notna().all() and zones.x.notna().all()), unviable=unviable)


def _drop_unviable(pairs: pd.DataFrame, services: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop (service, site) options that could never be a viable service point.

    A site can only host a service if all the demand within its catchment together fills the
    service's smallest viable point (min_site_m2); otherwise no plan can use it. Returns the
    remaining pairs and the dropped pairs (for explaining infeasibility).
    """
    mu = pairs.service_id.map(services.min_site_m2)
    if not (mu > 0).any():
        return pairs, pairs.iloc[:0]
    area = pairs.service_id.map(services.space_m2_per_unit) * pairs.demand
    reach = area.groupby([pairs.service_id, pairs.site_id]).transform("sum")
    bad = reach < mu - AREA_TOL
    return pairs[~bad].reset_index(drop=True), pairs[bad].reset_index(drop=True)


def _nearest_pairs(travel: StraightLine, zones, sites, services, hostable, demand) -> pd.DataFrame:
    """Per service, each zone's nearest host among the sites not marked to go, if within its catchment."""
    open_sites = sites[sites.fixed != "dispose"]
    parts = []
    for k, svc in services.iterrows():
        hosts = open_sites.loc[open_sites.index.isin(hostable.site_id[hostable.service_id == k])]
        need = demand[demand.service_id == k]
        if hosts.empty or need.empty:
            continue
        near = travel.nearest(zones.loc[need.zone_id], hosts)
        near = near.assign(service_id=k, demand=need.demand.to_numpy())
        if pd.notna(svc.catchment):
            near = near[near.minutes <= svc.catchment + 1e-9]
        within = near.minutes <= svc.max_travel_min + 1e-9 if pd.notna(svc.max_travel_min) else True
        parts.append(near.assign(within=within))
    cols = ["zone_id", "service_id", "site_id", "minutes", "demand", "within"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _travel(scenario: Scenario, tt, labels):
    t = scenario.travel
    if tt is not None:
        return Matrix(tt, labels["travel_times"])
    if t.method == "network":
        from estate_opt.inputs.network import load_road_graph

        return Network(load_road_graph(t.network), Path(t.network).name, t.connector_speed_kmh, t.access_min)
    return StraightLine(t.detour_factor, t.speed_kmh, t.access_min)


def _apply_service_overrides(services: pd.DataFrame, scenario: Scenario, problems: Problems) -> None:
    src = str(scenario.path or "scenario")
    for sid, settings in scenario.services.items():
        if sid not in services.index:
            problems.add(src, f"services.{sid}: no such service in the services file", "use one of: "
                         + ", ".join(services.index), ids=[sid])
            continue
        for key, value in settings.items():
            if key == "incompatible_with":
                services.at[sid, key] = value
            else:
                services.loc[sid, key] = np.nan if value is None else value
    share = services.required_share
    if ((share < 0) | (share > 1)).any():
        problems.add(src, "required_share must be between 0 and 1", "", ids=list(services.index[(share < 0) | (share > 1)]))
    bad = services.max_travel_min.notna() & (services.max_travel_min <= 0)
    if bad.any():
        problems.add(src, "max_travel_min must be positive", "", ids=list(services.index[bad]))


def _check_refs(df, col, known, source, what, problems: Problems) -> None:
    unknown = sorted(set(df[col]) - set(known))
    if unknown:
        problems.add(source, f"refers to {what} that are not in the {what} file", f"add them to the {what} file or "
                     "remove these rows", col, unknown)


def _check_occupation(occ, sites, services, source, problems: Problems) -> None:
    _check_refs(occ, "site_id", sites.index, source, "sites", problems)
    _check_refs(occ, "service_id", services.index, source, "services", problems)
    dup = occ.duplicated(["site_id", "service_id"], keep=False)
    if dup.any():
        problems.add(source, "a service is listed twice at one site", "merge the rows (add their floor areas)",
                     ids=sorted(set(occ.site_id[dup] + "/" + occ.service_id[dup])))
    cap = sites.floor_area_m2 - sites.other_use_m2
    neg = cap < -AREA_TOL
    if neg.any():
        problems.add("sites", "other_use_m2 exceeds floor_area_m2", "other use cannot be larger than the building",
                     "other_use_m2", list(sites.index[neg]))
    used = occ.groupby("site_id").floor_area_m2.sum()
    over = used[used > cap.reindex(used.index).fillna(np.inf) + 1e-6 * used + AREA_TOL]
    if len(over):
        problems.add(source, "services occupy more floor area today than the site has (floor_area_m2 - other_use_m2)",
                     "correct the occupation areas or the site's floor area", "floor_area_m2", list(over.index))


def _hostable(sites, services, occ, source, problems: Problems) -> pd.DataFrame:
    rows = [(s, k) for s, ks in sites.can_host.items() for k in ks]
    listed = pd.DataFrame(rows, columns=["site_id", "service_id"])
    unknown = sorted(set(listed.service_id) - set(services.index))
    if unknown:
        bad = sorted(set(listed.site_id[listed.service_id.isin(unknown)]))
        problems.add(source, f"can_host names services that are not in the services file: {', '.join(unknown)}",
                     "fix the service ids or add the services", "can_host", bad)
    host = pd.concat([listed[listed.service_id.isin(services.index)], occ[["site_id", "service_id"]]])
    host = host[host.site_id.isin(sites.index)].drop_duplicates().sort_values(["service_id", "site_id"])
    nohost = sorted(set(services.index) - set(host.service_id))
    if nohost:
        problems.add(source, f"no site can host service(s) {', '.join(nohost)}",
                     "list the service in some site's can_host, or remove the service", "can_host", nohost)
    return host.reset_index(drop=True)


def _check_incompatible(services, source, problems: Problems) -> None:
    for sid, others in services.incompatible_with.items():
        unknown = sorted(set(others) - set(services.index))
        if unknown:
            problems.add(source, f"service {sid} is incompatible with unknown service(s) {', '.join(unknown)}",
                         "fix the ids", "incompatible_with", [sid])
        if sid in others:
            problems.add(source, f"service {sid} is listed as incompatible with itself", "remove it",
                         "incompatible_with", [sid])


def _resolve_flags(sites, scenario: Scenario, source, problems: Problems) -> None:
    """Combine the sites file's flags, the scenario's lists and lease dates into one 'fixed' column."""
    src = str(scenario.path or "scenario")
    c = scenario.constraints
    for name, ids in (("must_retain", c.must_retain), ("must_dispose", c.must_dispose)):
        unknown = sorted(set(ids) - set(sites.index))
        if unknown:
            problems.add(src, f"constraints.{name} names sites not in the sites file", "fix the site ids", ids=unknown)
        known = [i for i in ids if i in sites.index]
        sites.loc[known, name] = True
    both = sites.must_retain & sites.must_dispose
    if both.any():
        problems.add(source, "sites flagged both must_retain and must_dispose", "clear one of the two flags",
                     "must_retain", list(sites.index[both]))
    sites["fixed"] = np.where(sites.must_retain, "retain", np.where(sites.must_dispose, "dispose", ""))
    sites["fixed_reason"] = np.where(sites.must_retain, "must retain", np.where(sites.must_dispose, "must dispose", ""))
    owners = set(sites.owner)
    for owner, ids in c.consent.items():
        if owner not in owners:
            problems.add(src, f"constraints.consent names an organisation that owns no site: {owner}",
                         "use the owner names of the sites file", ids=[owner])
            continue
        unknown = sorted(set(ids) - set(sites.index[sites.owner == owner]))
        if unknown:
            problems.add(src, f"constraints.consent.{owner} lists sites it does not own", "fix the ids", ids=unknown)
        no = (sites.owner == owner) & ~sites.index.isin(ids) & (sites.fixed == "")
        sites.loc[no, "fixed"] = "retain"
        sites.loc[no, "fixed_reason"] = f"{owner} has not consented to its disposal"
    for owner in c.owner_min_position_gbp:
        if owner not in owners:
            problems.add(src, f"constraints.owner_min_position_gbp names an organisation that owns no site: "
                         f"{owner}", "use the owner names of the sites file", ids=[owner])
    if c.lease_exit_by is not None:
        held = (sites.tenure == "leasehold") & sites.lease_end.map(lambda d: d is not None and d > c.lease_exit_by)
        clash = held & sites.must_dispose
        if clash.any():
            problems.add(source, f"must_dispose sites whose lease runs past {c.lease_exit_by}",
                         "clear must_dispose or move constraints.lease_exit_by", "lease_end", list(sites.index[clash]))
        sites.loc[held, "fixed"] = "retain"
        sites.loc[held, "fixed_reason"] = f"lease runs past {c.lease_exit_by}"


AREA_MARGIN_M = 30_000.0  # a site this far beyond every zone is a coordinate slip or another area's building


def _check_area(sites, zones, source, problems: Problems) -> None:
    """Sites far outside the box the zones cover: a typo in a coordinate, or the wrong area's file."""
    if sites.x.isna().all() or zones.x.isna().all():
        return
    x0, x1 = zones.x.min() - AREA_MARGIN_M, zones.x.max() + AREA_MARGIN_M
    y0, y1 = zones.y.min() - AREA_MARGIN_M, zones.y.max() + AREA_MARGIN_M
    out = sites.x.notna() & ((sites.x < x0) | (sites.x > x1) | (sites.y < y0) | (sites.y > y1))
    if out.any():
        problems.add(source, f"sites more than {AREA_MARGIN_M / 1000:g} km outside the area the zones cover",
                     "check their coordinates (a mistyped digit? another area's building?) or remove them",
                     "easting", list(sites.index[out]))


def _demand(zones, services, labels, problems: Problems) -> pd.DataFrame:
    parts = []
    for sid, svc in services.iterrows():
        basis = svc.demand_basis
        if basis not in zones.columns:
            problems.add(labels["services"], f"service {sid}: demand_basis '{basis}' is not a column of the zones file",
                         f"add '{basis}' to {labels['zones']} or set demand_basis to one of its numeric columns",
                         "demand_basis", [sid])
            continue
        values = pd.to_numeric(zones[basis], errors="coerce")
        if values.isna().any():
            problems.add(labels["zones"], f"demand basis '{basis}' has blank or non-numeric values",
                         "fill in a number for every zone", basis, list(zones.index[values.isna()]))
            continue
        if (values < 0).any():
            problems.add(labels["zones"], f"demand basis '{basis}' is negative", "correct the values", basis,
                         list(zones.index[values < 0]))
            continue
        d = values * svc.demand_rate
        parts.append(pd.DataFrame({"zone_id": zones.index, "service_id": sid, "demand": d.to_numpy(float)}))
    if not parts:
        return pd.DataFrame(columns=["zone_id", "service_id", "demand"])
    demand = pd.concat(parts, ignore_index=True)
    return demand[demand.demand > 0].reset_index(drop=True)


def _read_boundaries(path, zone_ids):
    import geopandas as gpd

    g = gpd.read_file(path)
    if "zone_id" not in g.columns or g.crs is None:
        return None
    return g[g.zone_id.astype(str).isin(zone_ids)].to_crs("EPSG:4326")
