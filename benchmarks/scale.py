#!/usr/bin/env python
"""Build and solve time and peak memory on seeded synthetic areas of growing size.

    python benchmarks/scale.py [--sizes 50 100 200 500 1000 2000] [--zones-per-site 2.5]
                               [--services 6] [--seed 0] [--time-limit 300]

Each size runs in a fresh Python process so its peak resident memory (ru_maxrss) is its own.
One JSON line per size: sites, zones, services, pairs, variables, constraints, estate_s (load,
checks, travel), build_s (model), solve_s, status, gap, peak_mb. Appended to
benchmarks/results/scale.jsonl.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def one(n_sites: int, zones_per_site: float, n_services: int, seed: int, time_limit: float,
        link: str = "aggregated") -> dict:
    from estate_opt.inputs.estate import build_estate
    from estate_opt.inputs.scenario import Solver
    from estate_opt.inputs.synthetic import generate
    from estate_opt.model.formulation import ModelOptions, build_model
    from estate_opt.model.solve import solve

    raw, sc = generate(n_sites, int(n_sites * zones_per_site), n_services, seed)
    t0 = time.perf_counter()
    estate = build_estate(raw, sc)
    estate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = build_model(estate, dataclasses.replace(ModelOptions.from_scenario(sc), point_link=link))
    build_s = time.perf_counter() - t0
    result = solve(model.problem, Solver(time_limit_s=time_limit))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"sites": n_sites, "zones": len(estate.zones), "services": len(estate.services),
            "pairs": len(estate.pairs), "variables": len(model.problem.variables()),
            "constraints": model.problem.numConstraints(), "estate_s": round(estate_s, 2),
            "build_s": round(build_s, 2), "solve_s": round(result.seconds, 2), "status": result.status.value,
            "gap": result.gap, "objective": result.objective, "peak_mb": round(peak_mb), "seed": seed,
            "time_limit_s": time_limit, "point_link": link, "bound": result.bound}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 500, 1000, 2000])
    ap.add_argument("--zones-per-site", type=float, default=2.5)
    ap.add_argument("--services", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--link", default="aggregated", choices=["aggregated", "per_share"],
                    help="the model's service-point link (per_share: the previous engine)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.zones_per_site, args.services, args.seed, args.time_limit, args.link)))
        return 0
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--zones-per-site", str(args.zones_per_site),
               "--services", str(args.services), "--seed", str(args.seed), "--time-limit", str(args.time_limit),
               "--link", args.link]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        line = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else \
            json.dumps({"sites": n, "error": proc.stderr.strip().splitlines()[-1:]})
        print(line, flush=True)
        with open(out / "scale.jsonl", "a") as f:
            f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
