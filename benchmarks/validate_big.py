#!/usr/bin/env python
"""Validate a very large area: 20,000 sites and 100,000 zones (seeded synthetic), time and peak memory.

    python benchmarks/validate_big.py [--sites 20000] [--zones 100000] [--services 6]

Writes the inputs as ordinary CSV files, then runs ``estate-opt validate`` on them in a fresh process
(so its peak resident memory is its own) and prints one JSON line: sizes, file sizes, seconds, peak MB.
Appended to benchmarks/results/validate_big.jsonl.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from estate_opt.inputs.orlib import to_files  # noqa: E402
from estate_opt.inputs.synthetic import generate  # noqa: E402

PEAK = "import resource, sys, runpy; sys.argv = ['estate-opt'] + sys.argv[1:]; " \
       "code = 0\ntry:\n    runpy.run_module('estate_opt.cli', run_name='__main__')\nexcept SystemExit as e:\n" \
       "    code = e.code\nprint('PEAK_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)\n" \
       "sys.exit(code)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=20_000)
    ap.add_argument("--zones", type=int, default=100_000)
    ap.add_argument("--services", type=int, default=6)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="estate_opt_big_") as tmp:
        scenario = to_files(*generate(args.sites, args.zones, args.services, 0), tmp)
        sizes = {p.name: p.stat().st_size for p in Path(tmp).glob("*.csv")}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", PEAK, "validate", str(scenario)], capture_output=True, text=True)
        seconds = time.perf_counter() - t0
    peak = [float(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_MB")]
    row = {"sites": args.sites, "zones": args.zones, "services": args.services, "exit_code": proc.returncode,
           "seconds": round(seconds, 2), "peak_mb": round(peak[0]) if peak else None,
           "file_mb": round(sum(sizes.values()) / 2**20, 1), "output": proc.stdout.strip().splitlines()[:3]}
    line = json.dumps(row)
    print(line)
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "validate_big.jsonl", "a") as f:
        f.write(line + "\n")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
