#!/usr/bin/env python
"""The current solve path against the primal heuristic's start, on one scenario (default: Trafford).

    python benchmarks/engine.py [--scenario scenarios/trafford.yaml] [--time-limit 240]
                                [--heuristic-budget 30] [--gap 1e-4]

Two runs on the same built model, each from a fresh HiGHS object:

- ``plain``: ``solve(problem)`` as run.py calls it today;
- ``heuristic``: ``find_incumbent`` (LP relaxation, rounding, repair, moves), then ``solve`` with its
  plan as the start. Its times include the heuristic's.

For each: time to the first plan, time to a proven gap of 1e-3 and of 1e-4 (from progress reports
every second, so to within about a second), final status, gap and objective. The heuristic's own
time to its first and final plan and its gap to the LP bound are printed too. One JSON line per
run is appended to benchmarks/results/engine.jsonl. With the defaults the whole script ends in
under 10 minutes (two solves of at most --time-limit s, one heuristic of at most its budget).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def run(model, solver, start=None, t_offset: float = 0.0) -> dict:
    from estate_opt.model.solve import solve

    reports = []
    result = solve(model.problem, solver, start=start, on_progress=reports.append, progress_every_s=1.0)

    def first(pred):
        hit = next((p for p in reports if pred(p)), None)
        return None if hit is None else round(t_offset + hit.seconds, 1)

    return {"first_plan_s": first(lambda p: p.objective is not None),
            "gap_1e-3_s": first(lambda p: p.gap is not None and p.gap <= 1e-3),
            "gap_1e-4_s": first(lambda p: p.gap is not None and p.gap <= 1e-4),
            "status": result.status.value, "gap": result.gap, "objective": result.objective,
            "bound": result.bound, "seconds": round(t_offset + result.seconds, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(HERE.parent / "scenarios" / "trafford.yaml"))
    ap.add_argument("--time-limit", type=float, default=240.0)
    ap.add_argument("--heuristic-budget", type=float, default=30.0)
    ap.add_argument("--gap", type=float, default=1e-4, help="the MIP gap tolerance of both solves")
    args = ap.parse_args(argv)

    from estate_opt.inputs.estate import load_estate
    from estate_opt.inputs.scenario import Solver, load_scenario
    from estate_opt.model.formulation import ModelOptions, build_model
    from estate_opt.model.incumbent import find_incumbent

    sc = load_scenario(args.scenario)
    estate = load_estate(sc)
    solver = Solver(name="highs", time_limit_s=args.time_limit, mip_gap=args.gap, threads=sc.solver.threads)
    rows = []

    t0 = time.perf_counter()
    model = build_model(estate, ModelOptions.from_scenario(sc))
    build_s = time.perf_counter() - t0
    print(f"{sc.name}: {len(model.problem.variables()):,} variables, built in {build_s:.1f} s; "
          f"gap tolerance {args.gap:g}, time limit {args.time_limit:g} s", flush=True)

    plain = run(model, solver)
    rows.append({"run": "plain", **plain})
    print(_line("plain", plain), flush=True)

    model = build_model(estate, ModelOptions.from_scenario(sc))  # fresh variables: nothing carried over
    t0 = time.perf_counter()
    inc = find_incumbent(model, args.heuristic_budget, threads=sc.solver.threads)
    h_s = time.perf_counter() - t0
    heur = {"heuristic_s": round(h_s, 1), "heuristic_first_s": None if inc is None else round(inc.first_seconds, 1),
            "heuristic_objective": None if inc is None else inc.objective,
            "heuristic_gap_to_lp": None if inc is None else inc.gap,
            "lp_bound": None if inc is None else inc.bound}
    if inc is None:
        print(f"heuristic: no plan in {h_s:.1f} s", flush=True)
    else:
        print(f"heuristic: first plan at {inc.first_seconds:.1f} s, final at {h_s:.1f} s: £{inc.objective:,.2f}/yr, "
              f"{inc.gap:.4%} above the LP bound £{inc.bound:,.2f}/yr", flush=True)
        for line in inc.log:
            print("   ", line)
    warm = run(model, solver, start=None if inc is None else inc.start, t_offset=h_s)
    if inc is not None:
        warm["first_plan_s"] = round(inc.first_seconds, 1)
    rows.append({"run": "heuristic+solve", **heur, **warm})
    print(_line("heuristic+solve", warm), flush=True)
    if plain["objective"] and warm["objective"]:
        print(f"objectives differ by £{warm['objective'] - plain['objective']:,.2f}/yr")

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

    gap = "n/a" if r["gap"] is None else f"{r['gap']:.5%}"
    obj = "n/a" if r["objective"] is None else f"£{r['objective']:,.2f}/yr"
    return (f"{name:16s} first plan {s(r['first_plan_s'])} s | gap 1e-3 {s(r['gap_1e-3_s'])} s | "
            f"gap 1e-4 {s(r['gap_1e-4_s'])} s | {r['status']} at {r['seconds']:.1f} s, gap {gap}, {obj}")


if __name__ == "__main__":
    raise SystemExit(main())
