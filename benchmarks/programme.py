#!/usr/bin/env python
"""Solve the ten-year Trafford programme and print build and solve time, status, gap and peak memory.

    python benchmarks/programme.py [--scenario scenarios/trafford-programme.yaml] [--time-limit 900]

One JSON line, appended to benchmarks/results/programme.jsonl. The plan is written to a temporary
folder and verified (year by year) before the figures are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from estate_opt.inputs.scenario import load_scenario  # noqa: E402
from estate_opt.results.verify import verify_run  # noqa: E402
from estate_opt.run import run_scenario  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=HERE.parent / "scenarios" / "trafford-programme.yaml")
    ap.add_argument("--time-limit", type=float, default=900.0)
    args = ap.parse_args(argv)
    sc = load_scenario(args.scenario)
    sc.solver.time_limit_s = args.time_limit
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="estate_opt_programme_") as tmp:
        plan, folder = run_scenario(sc, Path(tmp) / "run", pack=False,
                                    progress=lambda m: print(m, file=sys.stderr, flush=True))
        total = time.perf_counter() - t0
        ok = verify_run(folder).ok
        summary = json.loads((folder / "summary.json").read_text())
    r, k = plan.result, plan.kpis
    row = {"scenario": sc.name, "horizon_years": k["programme_years"], "status": r.status.value, "gap": r.gap,
           "objective_npv_gbp": r.objective, "npv_saving_gbp": k["npv_saving_gbp"], "payback_year": k["payback_year"],
           "disposals": int((plan.programme.action == "dispose").sum()),
           "disposal_years": sorted({int(y) for y in plan.programme.calendar_year[plan.programme.action == "dispose"]}),
           "build_s": round(summary["timings_s"].get("build_s", 0.0), 1), "solve_s": round(r.seconds, 1),
           "total_s": round(total, 1), "verified": ok, "time_limit_s": args.time_limit,
           "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    line = json.dumps(row)
    print(line)
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "programme.jsonl", "a") as f:
        f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
