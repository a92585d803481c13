"""Cost of keeping, cost of losing: what forcing one decision the other way would cost, exactly.

For every disposed site, the extra annual equivalent cost of forcing it to stay; for every kept site,
the extra cost of forcing it out (or the reason it cannot go). Each answer is the difference between
two solved objectives of the same model. The model is built once; each question changes one bound
and re-solves, warm-started where the plan tells us a feasible answer. Answers that follow from a
bound are not re-solved:

- keeping a disposed site empty is always possible, at its running cost, annualised backlog and lost
  receipt; if the linear relaxation with the site kept cannot do better, that is the exact answer;
- a kept site whose loss leaves some zone with no site within reach cannot go (no solve needed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from estate_opt.model import diagnose
from estate_opt.model.formulation import (
    ModelOptions,
    build_model,
    start_from_plan,
)
from estate_opt.model.solve import Status, solve

COLUMNS = ["site_id", "name", "decision", "question", "extra_annual_cost_gbp", "status", "method",
           "uncertainty_gbp", "reason"]


def keep_costs(out_dir: str | Path, sites: list[str] | None = None, solver_overrides: dict | None = None,
               progress=lambda m: None) -> pd.DataFrame:
    """One row per (unfixed) site: the extra annual equivalent cost (£/yr) of the opposite decision."""
    from estate_opt.results.folder import load_single_period_plan

    plan, estate, summary, scenario = load_single_period_plan(out_dir, solver_overrides)
    options = ModelOptions.from_scenario(scenario)
    model = build_model(estate, options)
    base = float(summary["objective"])
    tol = max(float(summary.get("gap_tolerance") or 0), scenario.solver.mip_gap)
    kept = list(plan.sites.site_id[plan.sites.decision == "retain"])
    start = start_from_plan(model, kept, plan.allocation, estate.services, estate.occupation)
    chosen = estate.sites.index if sites is None else [s for s in estate.sites.index if s in set(sites)]
    rows = []
    for s in chosen:
        site = estate.sites.loc[s]
        if site.fixed:
            continue
        y = model.keep[s]
        if s in kept:
            rows.append(_force_out(s, site, y, model, estate, options, scenario, base, tol, progress))
        else:
            rows.append(_force_in(s, site, y, model, options, scenario, base, tol, start, progress))
    return pd.DataFrame(rows, columns=COLUMNS)


def _force_in(s, site, y, model, options, scenario, base, tol, start, progress) -> dict:
    phi = options.phi
    trivial = float(site.running_cost_gbp + phi * site.backlog_gbp + phi * site.net_receipt_gbp)
    row = {"site_id": s, "name": site["name"], "decision": "dispose", "question": "keep"}
    lo, hi = y.lowBound, y.upBound
    y.lowBound = 1
    try:
        lp = solve(model.problem, scenario.solver, relax=True)
        upper = base + trivial
        if lp.objective is not None and upper - lp.objective <= tol * max(abs(upper), 1.0) + 1e-6:
            progress(f"keep {s}: £{trivial:,.0f}/yr (the relaxation proves keeping it empty is best)")
            return {**row, "extra_annual_cost_gbp": trivial, "status": Status.OPTIMAL.value, "method": "bound",
                    "uncertainty_gbp": tol * (abs(upper) + abs(base)), "reason": "kept empty"}
        warm = dict(start, **{y.name: 1.0})
        r = solve(model.problem, scenario.solver, start=warm)
    finally:
        y.lowBound, y.upBound = lo, hi
    progress(f"keep {s}: {r.describe()}")
    if not r.status.has_solution:
        return {**row, "status": r.status.value, "method": "solve", "reason": r.message}
    return {**row, "extra_annual_cost_gbp": r.objective - base, "status": r.status.value, "method": "solve",
            "uncertainty_gbp": (r.gap or 0) * abs(r.objective) + tol * abs(base), "reason": ""}


def _force_out(s, site, y, model, estate, options, scenario, base, tol, progress) -> dict:
    row = {"site_id": s, "name": site["name"], "decision": "retain", "question": "dispose"}
    estate.sites.loc[s, "fixed"] = "dispose"
    try:
        reasons = diagnose.precheck(estate, options)
    finally:
        estate.sites.loc[s, "fixed"] = ""
    if reasons:
        progress(f"dispose {s}: cannot go ({reasons[0][:70]})")
        return {**row, "status": Status.INFEASIBLE.value, "method": "precheck", "reason": "; ".join(reasons)}
    lo, hi = y.lowBound, y.upBound
    y.upBound = 0
    try:
        r = solve(model.problem, scenario.solver)
    finally:
        y.lowBound, y.upBound = lo, hi
    progress(f"dispose {s}: {r.describe()}")
    if r.status is Status.INFEASIBLE:
        return {**row, "status": Status.INFEASIBLE.value, "method": "solve",
                "reason": "no plan meets every requirement without this site"}
    if not r.status.has_solution:
        return {**row, "status": r.status.value, "method": "solve", "reason": r.message}
    return {**row, "extra_annual_cost_gbp": r.objective - base, "status": r.status.value, "method": "solve",
            "uncertainty_gbp": (r.gap or 0) * abs(r.objective) + tol * abs(base), "reason": ""}


def write_keep_costs(out_dir: str | Path, table: pd.DataFrame) -> Path:
    """keep_costs.csv into the run folder (atomically), then the pack again so the report shows it."""
    from estate_opt.outputs.pack import rewrite_pack
    from estate_opt.results.folder import replace_files

    replace_files(Path(out_dir), {"keep_costs.csv": table})
    rewrite_pack(out_dir)
    return Path(out_dir) / "keep_costs.csv"
