"""``estate-opt``: a thin command line over the Python API.

    estate-opt run SCENARIO [--out DIR] [--solver highs|cbc] [--time-limit S] [--gap G] [--overwrite]
    estate-opt validate SCENARIO
    estate-opt verify OUT_DIR
    estate-opt report OUT_DIR

Exit codes: 0 done; 1 verify found a mismatch; 2 bad input or settings; 3 infeasible scenario;
4 plan written but not proven optimal (pass --allow-gap to accept); 5 solver failure.
Errors are messages, never tracebacks (set ESTATE_OPT_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from estate_opt.errors import (EstateOptError, InfeasibleError, InputError, OutputError, SolverError,
                               VerifyError)

EXIT = {InputError: 2, OutputError: 2, InfeasibleError: 3, SolverError: 5, VerifyError: 1}


class _Progress:
    """Progress lines on stderr with the time since the command started."""

    def __init__(self, quiet: bool = False):
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="estate-opt", description="Exact co-location and disposal plans for an "
                                     "area's public estate.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="solve a scenario and write its plan")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, help="run folder (default: runs/<scenario file name>)")
    run.add_argument("--solver", choices=["highs", "cbc"], help="override the scenario's solver")
    run.add_argument("--time-limit", type=float, help="seconds the solver may take")
    run.add_argument("--gap", type=float, help="relative gap at which the solver may stop (default 1e-6)")
    run.add_argument("--threads", type=int, help="solver threads")
    run.add_argument("--overwrite", action="store_true", help="replace a previous run in --out")
    run.add_argument("--allow-gap", action="store_true", help="exit 0 even if the plan is not proven optimal")
    run.add_argument("--solver-log", action="store_true", help="show the solver's own log")
    run.add_argument("--no-pack", action="store_true", help="skip the board pack (report, maps, charts, workbook)")
    run.add_argument("-q", "--quiet", action="store_true")
    val = sub.add_parser("validate", help="check a scenario's inputs without building a model")
    val.add_argument("scenario", type=Path)
    ver = sub.add_parser("verify", help="re-check a written plan against its inputs, without the solver")
    ver.add_argument("out_dir", type=Path)
    rep = sub.add_parser("report", help="regenerate the board pack of a written plan, without re-solving")
    rep.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        return {"run": _run, "validate": _validate, "verify": _verify, "report": _report}[args.command](args)
    except EstateOptError as e:
        if os.environ.get("ESTATE_OPT_DEBUG"):
            raise
        label = {InfeasibleError: "infeasible", SolverError: "solver error", OutputError: "cannot write"}.get(
            type(e), "error")
        print(f"estate-opt: {label}: {e}", file=sys.stderr)
        return EXIT.get(type(e), 2)
    except KeyboardInterrupt:
        print("estate-opt: interrupted; nothing was written", file=sys.stderr)
        return 130


def _run(args) -> int:
    from estate_opt.run import run_scenario
    from estate_opt.scenario import load_scenario

    progress = _Progress(args.quiet)
    sc = load_scenario(args.scenario)
    if args.solver:
        sc.solver.name = args.solver
    if args.time_limit is not None:
        sc.solver.time_limit_s = args.time_limit
    if args.gap is not None:
        sc.solver.mip_gap = args.gap
    if args.threads is not None:
        sc.solver.threads = args.threads
    if args.solver_log:
        sc.solver.log = True
    out = args.out or Path("runs") / args.scenario.stem
    plan, folder = run_scenario(sc, out, overwrite=args.overwrite, progress=progress, pack=not args.no_pack)
    k, r = plan.kpis, plan.result
    print(f"{plan.scenario}: {r.status.value.upper()}, gap {_pct(r.gap)} ({r.solver}, {r.seconds:.1f} s)")
    print(f"  sites kept {k['sites_after']} of {k['sites_before']}; floor area {k['floor_area_before_m2']:,.0f} -> "
          f"{k['floor_area_after_m2']:,.0f} m²")
    print(f"  running cost saving £{k['annual_running_saving_gbp']:,.0f}/yr; capital receipts "
          f"£{k['capital_receipts_gbp']:,.0f}; annual equivalent saving £{k['annual_equivalent_saving_gbp']:,.0f}/yr")
    for s in plan.services.itertuples(index=False):
        if s.total_demand > 0:
            print(f"  {s.service_id}: {_pct(s.share_within_before)} -> {_pct(s.share_within_after)} within "
                  f"{'' if s.standard_min != s.standard_min else f'{s.standard_min:g} min'}; mean travel "
                  f"{s.mean_travel_min_before:.1f} -> {s.mean_travel_min_after:.1f} min")
    print(f"  written to {folder}")
    if r.status.value != "optimal":
        print(f"estate-opt: WARNING: this plan is NOT proven optimal (status {r.status.value}, gap {_pct(r.gap)}). "
              "Raise --time-limit, or pass --allow-gap to accept it.", file=sys.stderr)
        return 0 if args.allow_gap else 4
    return 0


def _pct(v) -> str:
    return "n/a" if v is None or v != v else f"{v:.2%}" if v >= 1e-4 or v == 0 else f"{v:.1e}"


def _validate(args) -> int:
    from estate_opt import diagnose
    from estate_opt.estate import load_estate
    from estate_opt.model import ModelOptions
    from estate_opt.scenario import load_scenario

    sc = load_scenario(args.scenario)
    estate = load_estate(sc)
    print(f"{sc.name}: inputs are valid")
    print(f"  {len(estate.sites):,} sites ({(estate.sites.fixed == 'retain').sum()} must stay, "
          f"{(estate.sites.fixed == 'dispose').sum()} must go), {len(estate.services):,} services, "
          f"{len(estate.zones):,} zones, {len(estate.occupation):,} service occupations today")
    print(f"  travel: {estate.travel_description}; {len(estate.pairs):,} admissible zone-service-site pairs")
    reasons = diagnose.precheck(estate, ModelOptions.from_scenario(sc))
    if reasons:
        raise InfeasibleError("the scenario cannot be met:\n  - " + "\n  - ".join(reasons))
    return 0


def _verify(args) -> int:
    from estate_opt.verify import verify_run

    report = verify_run(args.out_dir)
    print(report.text())
    if not report.ok:
        raise VerifyError(f"{len(report.failures)} check(s) failed in {args.out_dir}")
    print(f"{args.out_dir}: all {len(report.checks)} checks passed")
    return 0


def _report(args) -> int:
    from estate_opt.pack import rewrite_pack

    written = rewrite_pack(args.out_dir)
    print(f"{args.out_dir}: rewrote {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
