"""Say in words why a scenario cannot be met.

``precheck`` runs before the model is built and catches what can be seen cheaply from the
data: zones no available site can reach, standards no site can meet, too little space, limits
that contradict the flags. Each finding names the zones, services or sites and the amount
missing, e.g. "zones E01006074, ... have no site able to host gp within 15 min".

``elastic`` is for what only the solver can see (requirements each possible alone, impossible
together): it solves the same model with every board requirement made elastic — each demand row,
access share, site capacity, site-count limit, budget, savings target, partner position and
travel-increase cap gets a penalised slack — minimising the total relaxation, each measured as a
share of its own requirement. The slacks left non-zero are a smallest set of relaxations that
makes the scenario feasible, said in words with their amounts. Physical rules (a share needs its
service, a service its site; flags; incompatibility; viable size) stay hard.
"""

from __future__ import annotations

import pandas as pd
import pulp

from estate_opt.inputs.estate import Estate
from estate_opt.model.formulation import ModelOptions, build_model, safe


def _ids(values, n=6) -> str:
    values = list(values)
    more = f" and {len(values) - n} more" if len(values) > n else ""
    return ", ".join(map(str, values[:n])) + more


def _fmt_min(v) -> str:
    return "no limit" if pd.isna(v) else f"{v:g} min"


def precheck(estate: Estate, o: ModelOptions) -> list[str]:
    """Reasons the scenario is certainly infeasible (empty list: none found)."""
    out = []
    sites, services = estate.sites, estate.services
    open_sites = sites.index[sites.fixed != "dispose"]
    pairs = estate.pairs[estate.pairs.site_id.isin(open_sites)]
    for k, svc in services.iterrows():
        need = estate.demand[estate.demand.service_id == k]
        if need.empty:
            continue
        reach = pairs[pairs.service_id == k]
        lost = sorted(set(need.zone_id) - set(reach.zone_id))
        if lost:
            dropped = estate.unviable if estate.unviable is not None else estate.pairs.iloc[:0]
            small = set(dropped.zone_id[(dropped.service_id == k) & dropped.zone_id.isin(lost)])
            why = (f"; for {_ids(sorted(small))} the sites within reach have too few {svc.demand_unit}s around them "
                   f"to fill a viable {k} point of {svc.min_site_m2:,.0f} m² (min_site_m2)") if small else ""
            out.append(f"zones {_ids(lost)} have no site able to host {k} within {_fmt_min(svc.catchment)} "
                       f"({len(lost)} zone(s), {need[need.zone_id.isin(lost)].demand.sum():,.0f} "
                       f"{svc.demand_unit}s){why}; allow {k} at a nearer site (can_host), relax its standard "
                       "or viable size, or keep a disposed site")
        if svc.required_share > 0 and pd.notna(svc.max_travel_min):
            reachable = need[need.zone_id.isin(reach[reach.within].zone_id)].demand.sum()
            if reachable + 1e-9 < svc.required_share * svc.total_demand:
                out.append(f"{k}: at most {reachable / svc.total_demand:.1%} of demand can be within "
                           f"{svc.max_travel_min:g} min of a site able to host it, but {svc.required_share:.0%} "
                           "is required")
    sigma = services.space_m2_per_unit
    for k, svc in services.iterrows():
        need = sigma[k] * svc.total_demand
        if svc.total_demand > 0 and need + 1e-9 < svc.min_site_m2:
            out.append(f"{k} needs {need:,.0f} m² in all, less than one viable service point "
                       f"(min_site_m2 {svc.min_site_m2:,.0f} m²)")
    need_m2 = float((sigma * services.total_demand).sum())
    have_m2 = float(sites.loc[open_sites, "capacity_m2"].sum())
    if need_m2 > have_m2 * (1 + 1e-9):
        out.append(f"services need {need_m2:,.0f} m² but the sites not marked for disposal have only "
                   f"{have_m2:,.0f} m² ({need_m2 - have_m2:,.0f} m² short)")
    for k, svc in services.iterrows():
        if sigma[k] <= 0:
            continue
        hosts = estate.hostable.site_id[(estate.hostable.service_id == k) & estate.hostable.site_id.isin(open_sites)]
        cap = float(sites.loc[hosts, "capacity_m2"].sum())
        if sigma[k] * svc.total_demand > cap * (1 + 1e-9):
            out.append(f"{k} needs {sigma[k] * svc.total_demand:,.0f} m² but the sites able to host it have only "
                       f"{cap:,.0f} m²")
    kept = int((sites.fixed == "retain").sum())
    n_open = len(open_sites)
    for label, limit in (("exact_sites", o.exact_sites), ("max_sites", o.max_sites)):
        if limit is not None and limit < kept:
            out.append(f"constraints.{label} = {limit} but {kept} sites must be retained")
    for label, limit in (("exact_sites", o.exact_sites), ("min_sites", o.min_sites)):
        if limit is not None and limit > n_open:
            out.append(f"constraints.{label} = {limit} but only {n_open} sites are not marked for disposal")
    if o.capital_budget is not None:
        must = float(sites.loc[sites.fixed == "retain", "backlog_gbp"].sum())
        if must > o.capital_budget * (1 + 1e-9):
            out.append(f"the capital budget £{o.capital_budget:,.0f} is below the backlog of the sites that must be "
                       f"retained (£{must:,.0f})")
    if o.min_annual_saving is not None:
        possible = float(sites.loc[sites.fixed != "retain", "running_cost_gbp"].sum())
        if possible + 1e-6 < o.min_annual_saving:
            out.append(f"the savings target £{o.min_annual_saving:,.0f}/yr exceeds the running cost of every site "
                       f"that may go (£{possible:,.0f}/yr)")
    return out


def explain_infeasible(estate: Estate, o: ModelOptions, solver=None, phasing=None) -> str:
    """The message for a scenario the solver proved infeasible."""
    reasons = precheck(estate, o)
    if not reasons and solver is not None:
        reasons = elastic(estate, o, solver, phasing)
    if reasons:
        return "the scenario cannot be met:\n  - " + "\n  - ".join(reasons)
    active = [name for name, v in (("site count limits", o.exact_sites is not None or o.min_sites is not None
                                    or o.max_sites is not None),
                                   ("capital budget", o.capital_budget is not None),
                                   ("savings target", o.min_annual_saving is not None)) if v]
    extra = f" together with the {', '.join(active)}" if active else ""
    return ("the solver proved that no plan meets every requirement at once: the travel standards, capacities, "
            f"viable sizes and incompatibilities{extra} conflict, although each can be met on its own. Relax one (a looser "
            "standard, a larger budget, fewer must-retain sites) and run again.")


# Weight of one unit of each slack: every slack is scaled to a share of its own requirement, so a
# zone left unserved (share 1 of its demand) and a site limit missed by one count alike. Demand
# rows are a shade cheaper, so among equal relaxations the one naming who is left out is reported.
_DEMAND_WEIGHT, _LIMIT_WEIGHT = 1.0, 1.01
# Constraint name prefixes as PuLP stores them (it turns '-' into '_'), longest first; the rest is the key.
_FAMILIES = ["Zone-travel_increase", "Decile-travel_increase", "Estate-capital_budget", "Estate-savings_target",
             "Estate-capacity_cover", "Zone-demand", "Service-access", "Site-capacity", "Estate-sites",
             "Owner-position", "Phase-capital", "Phase-saving"]


def _family(name: str) -> tuple[str | None, str]:
    for f in _FAMILIES:
        prefix = f.replace("-", "_")
        if name == prefix or name.startswith(prefix + "_"):
            return f, name[len(prefix) + 1:]
    return None, ""


def elastic(estate: Estate, o: ModelOptions, solver, phasing=None) -> list[str]:
    """Smallest relaxation of the board's requirements that admits a plan, in words (empty: none found)."""
    from estate_opt.model.phasing import add_programme
    from estate_opt.model.solve import solve

    model = build_model(estate, o)
    if phasing is not None:
        add_programme(model, estate, phasing, o)
    prob = model.problem
    sites, services = estate.sites, estate.services
    zones_of = {f"{safe(z)}_{safe(k)}": (z, k) for z, k in estate.pairs[["zone_id", "service_id"]]
                .drop_duplicates().itertuples(index=False)}
    site_of = {safe(s): s for s in sites.index}
    service_of = {safe(k): k for k in services.index}
    owner_of = {safe(w): w for w in sites.owner.unique()}
    demand = estate.demand.set_index(["zone_id", "service_id"]).demand.groupby(level=[0, 1]).sum().to_dict()
    slacks, penalty = [], []
    for name, c in list(prob._constraints.items()):  # PuLP 3.3's own store, name -> constraint
        family, key = _family(name)
        scale = _scale(family, key, c, o, sites, services, site_of, service_of)
        if scale is None:
            continue
        weight = (_DEMAND_WEIGHT if family == "Zone-demand" else _LIMIT_WEIGHT) / scale
        signs = (1, -1) if family == "Estate-sites" and key == "exact" else \
            (-1,) if c.sense == pulp.LpConstraintLE else (1,)
        for sign in signs:
            v = prob.add_variable(f"Elastic_{'up' if sign > 0 else 'down'}_{name}", 0)
            c.expr.addterm(v, float(sign))
            slacks.append((family, key, sign, v))
            penalty.append((v, weight))
    prob.setObjective(pulp.LpAffineExpression(penalty))
    result = solve(prob, solver)
    if not result.status.has_solution:
        return []
    found: dict[tuple, float] = {}
    for family, key, sign, v in slacks:
        if (v.varValue or 0.0) > 1e-6:
            found[(family, key, sign)] = found.get((family, key, sign), 0.0) + float(v.varValue)
    unserved: dict[str, list] = {}
    out = []
    for (family, key, sign), amount in found.items():
        if family == "Zone-demand":
            z, k = zones_of.get(key, (key, ""))
            unserved.setdefault(k, []).append((z, amount * demand.get((z, k), 0.0)))
        elif family == "Service-access":
            k = service_of.get(key, key)
            svc = services.loc[k]
            out.append(f"{k}: {amount:,.0f} {svc.demand_unit}s more would have to be within {svc.max_travel_min:g} min "
                       f"to reach the required {svc.required_share:.0%}; relax the standard or keep more {k} sites")
        elif family == "Site-capacity":
            s = site_of.get(key, key)
            out.append(f"site {s} ({sites.at[s, 'name']}) would need {amount:,.0f} m² more floor area than its "
                       f"{sites.at[s, 'capacity_m2']:,.0f} m²; keep another site nearby or relax a standard")
        elif family == "Estate-sites":
            limit = {"exact": o.exact_sites, "min": o.min_sites, "max": o.max_sites}[key]
            more = key == "max" or (key == "exact" and sign < 0)  # total - s <= max; total -/+ s = p
            out.append(f"constraints.{key}_sites = {limit}: the other requirements need {amount:,.0f} site(s) "
                       f"{'more' if more else 'fewer'}")
        elif family == "Estate-capital_budget":
            out.append(f"the capital budget £{o.capital_budget:,.0f} is £{amount:,.0f} short of the backlog and "
                       "fit-out the other requirements need")
        elif family == "Estate-savings_target":
            out.append(f"the savings target £{o.min_annual_saving:,.0f}/yr can be met only to within "
                       f"£{amount:,.0f}/yr under the other requirements")
        elif family == "Estate-capacity_cover":
            continue  # implied by the capacity rows; reported there
        elif family == "Phase-capital":
            out.append(f"programme year {key}: the capital budget is £{amount:,.0f} short of the backlog and fit-out "
                       "that year needs (phasing.capital_budget_gbp; years count from 0)")
        elif family == "Phase-saving":
            out.append(f"programme year {key}: the savings target can be met only to within £{amount:,.0f}/yr "
                       "(phasing.min_annual_saving_gbp; leases and moves decide how early buildings can go)")
        elif family == "Owner-position":
            w = owner_of.get(key, key)
            out.append(f"{w} would be £{amount:,.0f}/yr below its allowed position (£{o.owner_minimum(w):,.0f}/yr)")
        elif family in ("Zone-travel_increase", "Decile-travel_increase"):
            what = "max_travel_increase_min" if family.startswith("Zone") else "max_decile_travel_increase_min"
            out.append(f"constraints.{what} would be exceeded for {key} by {amount:,.1f} demand-weighted minutes")
    limits = _limits(o)
    for k, rows in unserved.items():
        unit = services.at[k, "demand_unit"] if k in services.index else "resident"
        people = sum(a for _, a in rows)
        out.insert(0, f"{k}: zones {_ids([z for z, _ in rows])} ({people:,.0f} {unit}s) cannot be served within the "
                      f"travel standards and site capacities{' together with ' + limits if limits else ''}; "
                      "relax one of them")
    return out


def _limits(o: ModelOptions) -> str:
    """The board limits set in the scenario, as they are written there."""
    named = [("exact_sites", o.exact_sites), ("min_sites", o.min_sites), ("max_sites", o.max_sites),
             ("capital_budget_gbp", o.capital_budget), ("min_annual_saving_gbp", o.min_annual_saving),
             ("min_owner_position_gbp", o.min_owner_position), ("max_travel_increase_min", o.max_travel_increase),
             ("max_decile_travel_increase_min", o.max_decile_travel_increase)]
    parts = [f"constraints.{k} = {v:,g}" for k, v in named if v is not None]
    return ", ".join(parts + [f"a minimum position for {w}" for w in o.owner_min_position])


def _scale(family, key, c, o: ModelOptions, sites, services, site_of, service_of) -> float | None:
    """The size of a requirement, to measure its slack as a share; None for rules that stay hard."""
    if family == "Zone-demand":
        return 1.0
    if family == "Service-access":
        k = service_of.get(key)
        return max(float(services.at[k, "total_demand"]), 1.0) if k is not None else None
    if family == "Site-capacity":
        s = site_of.get(key)
        return max(float(sites.at[s, "capacity_m2"]), 1.0) if s is not None else None
    if family == "Estate-sites":
        return 1.0
    if family == "Estate-capital_budget":
        return max(float(o.capital_budget or 0.0), 1.0)
    if family == "Estate-savings_target":
        return max(float(o.min_annual_saving or 0.0), 1.0)
    if family == "Estate-capacity_cover":
        return max(-float(c.constant), 1.0)
    if family == "Owner-position":
        return max(abs(float(c.constant)), float(sites.running_cost_gbp.mean()), 1.0)
    if family in ("Phase-capital", "Phase-saving"):
        return max(abs(float(c.constant)), 1.0)
    if family in ("Zone-travel_increase", "Decile-travel_increase"):
        return max(float(o.max_travel_increase or o.max_decile_travel_increase or 1.0), 1.0)
    return None
