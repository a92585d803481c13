#!/usr/bin/env python
"""Solve one OR-Library instance through estate_opt's own path and print ONE JSON line.

    python benchmarks/orlib.py FILE [--capacity N | --uncapacitated] [--p P] [--time-limit S]
                               [--solver highs|cbc] [--gap G]
    python benchmarks/orlib.py --all-hard [--time-limit S]   # capa x4 + capa-uncap + pmed6-10

The path is the product's: file -> raw tables (estate_opt.inputs.orlib) -> build_estate ->
build_model -> solve. Printed: instance, objective, status, gap, build_s (estate + model),
solve_s, the published optimum where OPTIMA.csv has it, and the relative error against it.
Figures are also appended to benchmarks/results/orlib.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from estate_opt.inputs.estate import build_estate  # noqa: E402
from estate_opt.inputs.orlib import read_cap, read_pmed  # noqa: E402
from estate_opt.inputs.scenario import Solver  # noqa: E402
from estate_opt.model.formulation import ModelOptions, build_model  # noqa: E402
from estate_opt.model.solve import solve  # noqa: E402

OPTIMA = pd.read_csv(HERE / "orlib" / "OPTIMA.csv")
HARD = [("cap/capa.txt", {"capacity": c}) for c in (8000, 10000, 12000, 14000)] + \
       [("cap/capa.txt", {"uncapacitated": True})] + [(f"pmed/pmed{i}.txt", {}) for i in range(6, 11)]


def instance_name(path: Path, capacity=None, uncapacitated=False) -> str:
    stem = path.stem
    if uncapacitated:
        return f"{stem}-uncap"
    if capacity is not None and stem == "capa":
        return f"{stem}-{int(capacity)}"
    return stem


def run(path: Path, capacity=None, uncapacitated=False, p=None, time_limit=300.0, solver="highs",
        gap=1e-6, options=None) -> dict:
    t0 = time.perf_counter()
    if path.name.startswith("pmed"):
        raw, sc = read_pmed(path)
        if p is not None:
            sc.constraints.exact_sites = p
    else:
        raw, sc = read_cap(path, capacity=capacity, uncapacitated=uncapacitated)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    estate = build_estate(raw, sc)
    model = build_model(estate, ModelOptions.from_scenario(sc))
    build_s = time.perf_counter() - t0
    result = solve(model.problem, Solver(name=solver, time_limit_s=time_limit, mip_gap=gap,
                                               options=options or {}))
    name = instance_name(path, capacity, uncapacitated)
    known = OPTIMA[OPTIMA.instance == name]
    optimum = float(known.optimal_value.iloc[0]) if len(known) and p is None else None
    rel = None if optimum is None or result.objective is None else (result.objective - optimum) / optimum
    return {"instance": name, "objective": result.objective, "status": result.status.value, "gap": result.gap,
            "bound": result.bound, "build_s": round(build_s, 3), "solve_s": round(result.seconds, 3),
            "read_s": round(t_read, 3), "published_optimum": optimum, "rel_error": rel, "solver": solver,
            "time_limit_s": time_limit, "variables": len(model.problem.variables()),
            "constraints": model.problem.numConstraints()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--capacity", type=float)
    g.add_argument("--uncapacitated", action="store_true")
    ap.add_argument("--p", type=int, help="p for a pmed file (default: the file's own p)")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    ap.add_argument("--gap", type=float, default=1e-6)
    ap.add_argument("--all-hard", action="store_true", help="capa at 8000-14000 and uncapacitated, pmed6-10")
    args = ap.parse_args(argv)
    jobs = [(HERE / "orlib" / f, kw) for f, kw in HARD] if args.all_hard else \
        [(args.file, {"capacity": args.capacity, "uncapacitated": args.uncapacitated, "p": args.p})]
    if jobs[0][0] is None:
        ap.error("give FILE or --all-hard")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for path, kw in jobs:
        row = run(path, time_limit=args.time_limit, solver=args.solver, gap=args.gap, **kw)
        line = json.dumps(row)
        print(line, flush=True)
        with open(out / "orlib.jsonl", "a") as f:
            f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
