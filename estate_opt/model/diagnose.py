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
service, a service its site; flags; incompatibility; viable size) stay hard. Which families are
elastic, how each slack is measured and how it is said are the families' own records
(``estate_opt.model.families.REGISTRY``); the rows come from the model as built, by family.
"""

from __future__ import annotations

import pandas as pd
import pulp

from estate_opt.inputs.estate import Estate
from estate_opt.model.families import REGISTRY
from estate_opt.model.formulation import ModelOptions, build_model, listed
from estate_opt.model.phasing import PhasingOptions, add_programme
from estate_opt.model.solve import solve


def _fmt_min(v) -> str:
    return "no limit" if pd.isna(v) else f"{v:g} min"


def precheck(estate: Estate, options: ModelOptions) -> list[str]:
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
            why = (f"; for {listed(sorted(small))} the sites within reach have too few {svc.demand_unit}s around them "
                   f"to fill a viable {k} point of {svc.min_site_m2:,.0f} m² (min_site_m2)") if small else ""
            out.append(f"zones {listed(lost)} have no site able to host {k} within {_fmt_min(svc.catchment)} "
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
    for label, limit in (("exact_sites", options.exact_sites), ("max_sites", options.max_sites)):
        if limit is not None and limit < kept:
            out.append(f"constraints.{label} = {limit} but {kept} sites must be retained")
    for label, limit in (("exact_sites", options.exact_sites), ("min_sites", options.min_sites)):
        if limit is not None and limit > n_open:
            out.append(f"constraints.{label} = {limit} but only {n_open} sites are not marked for disposal")
    if options.capital_budget is not None:
        must = float(sites.loc[sites.fixed == "retain", "backlog_gbp"].sum())
        if must > options.capital_budget * (1 + 1e-9):
            out.append(f"the capital budget £{options.capital_budget:,.0f} is below the backlog of the sites that must be "
                       f"retained (£{must:,.0f})")
    if options.min_annual_saving is not None:
        possible = float(sites.loc[sites.fixed != "retain", "running_cost_gbp"].sum())
        if possible + 1e-6 < options.min_annual_saving:
            out.append(f"the savings target £{options.min_annual_saving:,.0f}/yr exceeds the running cost of every site "
                       f"that may go (£{possible:,.0f}/yr)")
    return out


def explain_infeasible(estate: Estate, options: ModelOptions, solver=None,
                       phasing: PhasingOptions | None = None) -> str:
    """The message for a scenario the solver proved infeasible."""
    reasons = precheck(estate, options)
    if not reasons and solver is not None:
        reasons = elastic(estate, options, solver, phasing)
    if reasons:
        return "the scenario cannot be met:\n  - " + "\n  - ".join(reasons)
    counts = (options.exact_sites, options.min_sites, options.max_sites)
    active = [name for name, v in (("site count limits", any(c is not None for c in counts)),
                                   ("capital budget", options.capital_budget is not None),
                                   ("savings target", options.min_annual_saving is not None)) if v]
    extra = f" together with the {', '.join(active)}" if active else ""
    return ("the solver proved that no plan meets every requirement at once: the travel standards, capacities, "
            f"viable sizes and incompatibilities{extra} conflict, although each can be met on its own. Relax one (a looser "
            "standard, a larger budget, fewer must-retain sites) and run again.")


def elastic(estate: Estate, options: ModelOptions, solver, phasing: PhasingOptions | None = None) -> list[str]:
    """Smallest relaxation of the board's requirements that admits a plan, in words (empty: none found)."""
    model = build_model(estate, options)
    if phasing is not None:
        add_programme(model, estate, phasing, options)
    prob = model.problem
    slacks, penalty = [], []
    for key, rows in model.rows.items():
        spec = REGISTRY[key].elastic
        if spec is None:  # a physical rule: stays hard
            continue
        for ids, row in rows:
            weight = spec.weight / spec.scale(model, estate, ids, row)
            signs = (1, -1) if spec.both_ways and row.sense == pulp.LpConstraintEQ else \
                (-1,) if row.sense == pulp.LpConstraintLE else (1,)
            for sign in signs:
                v = prob.add_variable(f"Elastic_{'up' if sign > 0 else 'down'}_{row.name}", 0)
                row.expr.addterm(v, float(sign))
                slacks.append((key, ids, sign, v))
                penalty.append((v, weight))
    prob.setObjective(pulp.LpAffineExpression(penalty))
    result = solve(prob, solver)
    if not result.status.has_solution:
        return []
    found: dict[str, list] = {}  # family -> [(ids, sign, amount)], in the order the rows were added
    for key, ids, sign, v in slacks:
        if (v.varValue or 0.0) > 1e-6:
            found.setdefault(key, []).append((ids, sign, float(v.varValue)))
    return [text for key, rows in found.items() for text in REGISTRY[key].elastic.say(model, estate, rows)]
