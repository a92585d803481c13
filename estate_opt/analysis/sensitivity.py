"""Robustness: re-solve under sampled costs and values, and count how often each site is disposed.

Each draw multiplies every site's running cost, disposal value and backlog by its own factor, drawn
uniformly from the scenario's ranges (``sensitivity:`` section) with a seeded generator, so the same
seed gives the same draws. Each draw is solved exactly, warm-started from the written plan. A site
disposed in every draw (or none) is a firm decision; one that flips is marginal.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from estate_opt.model.formulation import ModelOptions, build_model, start_from_plan
from estate_opt.model.solve import solve
from estate_opt.results.plan import decisions_from_model


def draw_costs(sites: pd.DataFrame, ranges, seed: int, draw: int) -> pd.DataFrame:
    """A copy of the sites with running cost, disposal value and backlog scaled by seeded uniform factors."""
    rng = np.random.default_rng([seed, draw])
    s = sites.copy()
    for column, (lo, hi) in (("running_cost_gbp", ranges.running_cost), ("disposal_value_gbp", ranges.disposal_value),
                             ("backlog_gbp", ranges.backlog)):
        s[column] = s[column] * rng.uniform(lo, hi, len(s))
    s["net_receipt_gbp"] = s.disposal_value_gbp - s.disposal_cost_gbp
    return s


def sensitivity(out_dir: str | Path, draws: int, seed: int | None = None, solver_overrides: dict | None = None,
                progress=lambda m: None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-site disposal frequency, per-draw results) for a written plan."""
    from estate_opt.results.folder import load_single_period_plan

    plan, estate, _, scenario = load_single_period_plan(out_dir, solver_overrides)
    seed = scenario.sensitivity.seed if seed is None else seed
    options = ModelOptions.from_scenario(scenario)
    base_kept = list(plan.sites.site_id[plan.sites.decision == "retain"])
    disposed = pd.DataFrame(index=estate.sites.index)
    rows = []
    for d in range(draws):
        e = copy.copy(estate)
        e.sites = draw_costs(estate.sites, scenario.sensitivity, seed, d)
        model = build_model(e, options)
        start = start_from_plan(model, base_kept, plan.allocation, e.services, e.occupation)
        r = solve(model.problem, scenario.solver, start=start)
        progress(f"draw {d + 1}/{draws}: {r.describe()}")
        row = {"draw": d, "seed": seed, "status": r.status.value, "gap": r.gap, "objective_gbp_per_yr": r.objective}
        if r.status.has_solution:
            kept, _ = decisions_from_model(model)
            disposed[d] = ~estate.sites.index.isin(kept)
            row.update({"sites_after": len(kept),
                        "annual_running_saving_gbp": float(e.sites.running_cost_gbp[~e.sites.index.isin(kept)].sum())})
        rows.append(row)
    n = disposed.shape[1]
    base = plan.sites.set_index("site_id")
    table = pd.DataFrame({
        "site_id": estate.sites.index, "name": estate.sites["name"].to_numpy(),
        "decision": base.decision.reindex(estate.sites.index).to_numpy(),
        "fixed_reason": estate.sites.fixed_reason.to_numpy(),
        "draws": n, "disposed_share": disposed.mean(axis=1).to_numpy() if n else np.nan})
    table["firm"] = (table.disposed_share == 0) | (table.disposed_share == 1)
    return table.reset_index(drop=True), pd.DataFrame(rows)


def write_sensitivity(out_dir: str | Path, table: pd.DataFrame, draws: pd.DataFrame) -> Path:
    """sensitivity.csv and sensitivity_draws.csv into the run folder (atomically), then the pack again."""
    from estate_opt.outputs.pack import rewrite_pack
    from estate_opt.results.folder import replace_files

    replace_files(Path(out_dir), {"sensitivity.csv": table, "sensitivity_draws.csv": draws})
    rewrite_pack(out_dir)
    return Path(out_dir) / "sensitivity.csv"
