#!/usr/bin/env python
"""The solve engine of the previous main against today's, on one scenario (default: Trafford), same run.

    python benchmarks/engine.py [--scenario scenarios/trafford.yaml] [--time-limit 300] [--gap 1e-6]
                                [--heuristic-budget 0]

Runs, each on a freshly built model and a fresh HiGHS object, in this order:

- ``previous``: the model as the previous main built it (``point_link="per_share"``: a row x <= h for
  every share) solved by HiGHS;
- ``current``: the model as run.py builds it today (one aggregated row per service point);
- ``heuristic`` (only with ``--heuristic-budget S`` > 0): ``find_incumbent`` on today's model, then
  HiGHS from its plan; its times include the heuristic's.

For each: time to the first plan, to a proven gap of 1e-3, 1e-4 and 1e-6 (from progress reports every
second, so to within about a second), final status, gap (relative and in £/yr) and objective. One JSON
line per run is appended to benchmarks/results/engine.jsonl.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

GAPS = (1e-3, 1e-4, 1e-6)


def run(model, solver, start=None, t_offset: float = 0.0) -> dict:
    from estate_opt.model.solve import solve

    reports = []
    result = solve(model.problem, solver, start=start, on_progress=reports.append, progress_every_s=1.0)

    def first(pred):
        hit = next((p for p in reports if pred(p)), None)
        return None if hit is None else round(t_offset + hit.seconds, 1)

    best = result.objective  # the best plan of the run (the optimum when proven)
    row = {"first_plan_s": first(lambda p: p.objective is not None),
           "within_0.1%_s": None if best is None else first(lambda p: p.objective is not None
                                                              and p.objective <= best + 1e-3 * abs(best))}
    for g in GAPS:
        row[f"gap_{g:g}_s"] = first(lambda p, g=g: p.gap is not None and p.gap <= g)
        if row[f"gap_{g:g}_s"] is None and result.gap is not None and result.gap <= g:  # proven at the very end
            row[f"gap_{g:g}_s"] = round(t_offset + result.seconds, 1)
    return {**row, "status": result.status.value, "gap": result.gap, "gap_gbp": result.gap_abs,
            "objective": result.objective, "bound": result.bound, "seconds": round(t_offset + result.seconds, 1),
            "rows": model.problem.numConstraints()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(HERE.parent / "scenarios" / "trafford.yaml"))
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--gap", type=float, default=1e-6, help="the MIP gap tolerance of every solve")
    ap.add_argument("--heuristic-budget", type=float, default=0.0, help="seconds; 0 leaves the heuristic run out")
    args = ap.parse_args(argv)

    from estate_opt.inputs.estate import load_estate
    from estate_opt.inputs.scenario import Solver, load_scenario
    from estate_opt.model.formulation import ModelOptions, build_model
    from estate_opt.model.incumbent import find_incumbent

    sc = load_scenario(args.scenario)
    estate = load_estate(sc)
    solver = Solver(name="highs", time_limit_s=args.time_limit, mip_gap=args.gap, threads=sc.solver.threads)
    options = ModelOptions.from_scenario(sc)
    print(f"{sc.name}: gap tolerance {args.gap:g}, time limit {args.time_limit:g} s", flush=True)
    rows = []
    for name, link in (("previous", "per_share"), ("current", "aggregated")):
        t0 = time.perf_counter()
        model = build_model(estate, dataclasses.replace(options, point_link=link))
        build_s = round(time.perf_counter() - t0, 1)
        r = {"run": name, "build_s": build_s, **run(model, solver)}
        rows.append(r)
        print(_line(name, r), flush=True)

    if args.heuristic_budget > 0:
        model = build_model(estate, options)
        t0 = time.perf_counter()
        inc = find_incumbent(model, args.heuristic_budget, threads=sc.solver.threads)
        h_s = time.perf_counter() - t0
        heur = {"heuristic_s": round(h_s, 1), "heuristic_first_s": None if inc is None else round(inc.first_seconds, 1),
                "heuristic_objective": None if inc is None else inc.objective,
                "heuristic_gap_to_lp": None if inc is None else inc.gap}
        print("heuristic: no plan" if inc is None else
              f"heuristic: first plan at {inc.first_seconds:.1f} s, final at {h_s:.1f} s: £{inc.objective:,.2f}/yr, "
              f"{inc.gap:.4%} above the LP bound", flush=True)
        warm = run(model, solver, start=None if inc is None else inc.start, t_offset=h_s)
        if inc is not None:
            warm["first_plan_s"] = round(inc.first_seconds, 1)
        rows.append({"run": "heuristic+current", **heur, **warm})
        print(_line("heuristic+current", warm), flush=True)

    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(out / "engine.jsonl", "a") as f:
        f.writelines(json.dumps({"when": stamp, "scenario": sc.name, "time_limit_s": args.time_limit,
                                 "gap_tolerance": args.gap, **r}) + "\n" for r in rows)
    return 0


def _line(name: str, r: dict) -> str:
    def s(v):
        return "  -  " if v is None else f"{v:5.1f}"

    gap = "n/a" if r["gap"] is None else f"{r['gap']:.5%} (£{r['gap_gbp']:,.0f}/yr)"
    obj = "n/a" if r["objective"] is None else f"£{r['objective']:,.2f}/yr"
    reached = " | ".join(f"gap {g:g} {s(r[f'gap_{g:g}_s'])} s" for g in GAPS)
    return (f"{name:18s} {r['rows']:6,} rows | first plan {s(r['first_plan_s'])} s | {reached} | "
            f"{r['status']} at {r['seconds']:.1f} s, gap {gap}, {obj}")


if __name__ == "__main__":
    raise SystemExit(main())
