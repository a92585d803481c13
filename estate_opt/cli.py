"""``estate-opt``: a thin command line over the Python API.

    estate-opt run SCENARIO [--out DIR] [--solver highs|cbc] [--time-limit S] [--gap G] [--overwrite]
    estate-opt validate SCENARIO
    estate-opt verify OUT_DIR
    estate-opt report OUT_DIR
    estate-opt compare A.yaml B.yaml ... [--out DIR] [--runs DIR] [--no-reuse]
    estate-opt keep-cost OUT_DIR [--sites ID ...]
    estate-opt sensitivity OUT_DIR --draws N [--seed S]
    estate-opt frontier SCENARIO --vary services.gp.max_travel_min --from 10 --to 30 --step 5 [--exact]
    estate-opt sweep A.yaml B.yaml ... [--areas DIR ...] [--out DIR] [--scheduler tcp://HOST:8786] [--workers N]

Exit codes: 0 done; 1 verify found a mismatch; 2 bad input or settings; 3 infeasible scenario;
4 plan written but not proven optimal (pass --allow-gap to accept); 5 solver failure;
6 a sweep finished with some jobs failed (the others are written); 130 interrupted.
Errors are messages, never tracebacks (set ESTATE_OPT_DEBUG=1 to see one): :func:`main` is the one
place that turns an exception into a message and an exit code.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from estate_opt.errors import (
    EstateOptError,
    InfeasibleError,
    InputError,
    InputProblem,
    OutputError,
    SolverError,
    VerifyError,
)

OK, VERIFY_FAILED, BAD_INPUT, INFEASIBLE, NOT_PROVEN, SOLVER_FAILED, JOBS_FAILED = range(7)
INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C

# How each error the user can act on is reported: the start of its message and the exit code. The
# nearest class in the exception's hierarchy decides, so a subclass of InputError exits as one.
FAILURES: dict[type[EstateOptError], tuple[str, int]] = {
    VerifyError: ("error", VERIFY_FAILED),
    InputError: ("error", BAD_INPUT),
    OutputError: ("cannot write", BAD_INPUT),
    InfeasibleError: ("infeasible", INFEASIBLE),
    SolverError: ("solver error", SOLVER_FAILED),
    EstateOptError: ("error", BAD_INPUT),
}

# Command-line option (argparse dest) -> the scenario's solver setting it overrides.
SOLVER_OPTIONS = {"solver": "name", "time_limit": "time_limit_s", "gap": "mip_gap", "threads": "threads",
                  "solver_log": "log"}


class _Progress:
    """Progress lines on stderr with the time since the command started."""

    def __init__(self, quiet: bool = False):
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (EstateOptError, OSError, KeyboardInterrupt) as e:
        return _failed(e)


def _failed(e: BaseException) -> int:
    """The error boundary: say what went wrong on stderr, in one message, and return its exit code."""
    if isinstance(e, KeyboardInterrupt):
        print("estate-opt: interrupted; nothing was written", file=sys.stderr)
        return INTERRUPTED
    if isinstance(e, BrokenPipeError):  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    if os.environ.get("ESTATE_OPT_DEBUG"):
        raise e
    if isinstance(e, OSError):  # disk full, permission denied, ...: a message, never a traceback
        print(f"estate-opt: cannot write or read a file: {e.strerror or e}"
              + (f": {e.filename}" if e.filename else "") + "; nothing was written", file=sys.stderr)
        return BAD_INPUT
    label, code = next(FAILURES[c] for c in type(e).__mro__ if c in FAILURES)
    print(f"estate-opt: {label}: {e}", file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    # Options several subcommands share, each declared once (as parent parsers).
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    limits = argparse.ArgumentParser(add_help=False)
    limits.add_argument("--time-limit", type=float, help="seconds the solver may take")
    limits.add_argument("--gap", type=float, help="relative gap at which the solver may stop (default 1e-6)")
    threads = argparse.ArgumentParser(add_help=False)
    threads.add_argument("--threads", type=int, help="solver threads (default: the scenario's)")
    overwrite = argparse.ArgumentParser(add_help=False)
    overwrite.add_argument("--overwrite", action="store_true", help="replace a previous run in --out")
    no_pack = argparse.ArgumentParser(add_help=False)
    no_pack.add_argument("--no-pack", action="store_true", help="skip the board pack (report, maps, charts, "
                         "workbook)")

    parser = argparse.ArgumentParser(prog="estate-opt", description="Exact co-location and disposal plans for an "
                                     "area's public estate.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[limits, threads, overwrite, no_pack, quiet],
                         help="solve a scenario and write its plan")
    run.set_defaults(handler=_run)
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, help="run folder (default: runs/<scenario file name>)")
    run.add_argument("--solver", choices=["highs", "cbc"], help="override the scenario's solver")
    run.add_argument("--allow-gap", action="store_true", help="exit 0 even if the plan is not proven optimal")
    run.add_argument("--solver-log", action="store_true", default=None, help="show the solver's own log")
    val = sub.add_parser("validate", help="check a scenario's inputs without building a model")
    val.set_defaults(handler=_validate)
    val.add_argument("scenario", type=Path)
    ver = sub.add_parser("verify", help="re-check a written plan against its inputs, without the solver")
    ver.set_defaults(handler=_verify)
    ver.add_argument("out_dir", type=Path)
    rep = sub.add_parser("report", help="regenerate the board pack of a written plan, without re-solving")
    rep.set_defaults(handler=_report)
    rep.add_argument("out_dir", type=Path)
    cmp_ = sub.add_parser("compare", parents=[limits, overwrite, quiet],
                          help="solve several scenarios (or reuse their plans) and compare them")
    cmp_.set_defaults(handler=_compare)
    cmp_.add_argument("scenarios", type=Path, nargs="+")
    cmp_.add_argument("--out", type=Path, help="comparison folder (default: runs/compare-<names>)")
    cmp_.add_argument("--runs", type=Path, default=Path("runs"), help="where each scenario's plan is kept")
    cmp_.add_argument("--no-reuse", action="store_true", help="solve every scenario again")
    kc = sub.add_parser("keep-cost", parents=[limits, quiet], help="for a written plan: the exact cost of keeping "
                        "each disposed site and of losing each kept one")
    kc.set_defaults(handler=_keep_cost)
    kc.add_argument("out_dir", type=Path)
    kc.add_argument("--sites", nargs="+", help="only these site ids")
    se = sub.add_parser("sensitivity", parents=[limits, quiet], help="for a written plan: re-solve under sampled "
                        "costs and values and count how often each site is disposed")
    se.set_defaults(handler=_sensitivity)
    se.add_argument("out_dir", type=Path)
    se.add_argument("--draws", type=int, default=20)
    se.add_argument("--seed", type=int, help="default: the scenario's sensitivity.seed")
    fr = sub.add_parser("frontier", parents=[limits, quiet],
                        help="trace annual saving against access by the epsilon-constraint method")
    fr.set_defaults(handler=_frontier)
    fr.add_argument("scenario", type=Path)
    fr.add_argument("--vary", required=True,
                    help="services.<service>.<setting> (e.g. services.gp.max_travel_min), services.*.<setting>, "
                         "or standards (every standard times a factor)")
    fr.add_argument("--values", type=float, nargs="+", help="the levels to solve at")
    fr.add_argument("--from", dest="start", type=float)
    fr.add_argument("--to", dest="stop", type=float)
    fr.add_argument("--step", type=float)
    fr.add_argument("--exact", action="store_true", help="find every break point between --from and --to "
                    "(one service's max_travel_min)")
    fr.add_argument("--out", type=Path, help="frontier folder (default: runs/frontier-<scenario>)")
    sw = sub.add_parser("sweep", parents=[limits, threads, no_pack, quiet],
                        help="run many scenarios, or one scenario over many areas, in parallel on Dask")
    sw.set_defaults(handler=_sweep)
    sw.add_argument("scenarios", type=Path, nargs="+")
    sw.add_argument("--areas", type=Path, nargs="+", help="area folders holding the scenario's input files by name")
    sw.add_argument("--out", type=Path, default=Path("runs") / "sweep", help="sweep folder (default: runs/sweep)")
    sw.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a local cluster)")
    sw.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    sw.add_argument("--force", action="store_true", help="solve again even jobs already done")
    return parser


def _solver_overrides(args) -> dict:
    """The solver settings given on the command line, by setting name; options not given are left out."""
    given = {setting: getattr(args, option, None) for option, setting in SOLVER_OPTIONS.items()}
    return {k: v for k, v in given.items() if v is not None}


def _scenario(args):
    """The scenario named on the command line, with the solver settings the command line overrides."""
    from estate_opt.inputs.scenario import load_scenario

    sc = load_scenario(args.scenario)
    sc.solver.override(_solver_overrides(args))
    return sc


def _run(args) -> int:
    from estate_opt.model.solve import Status
    from estate_opt.run import run_scenario

    progress = _Progress(args.quiet)
    sc = _scenario(args)
    out = args.out or Path("runs") / args.scenario.stem
    plan, folder = run_scenario(sc, out, overwrite=args.overwrite, progress=progress, pack=not args.no_pack)
    k, r = plan.kpis, plan.result
    within = r.proven_within("" if plan.programme is not None else "/yr")
    print(f"{plan.scenario}: {r.status.value.upper()}, gap {_pct(r.gap)}: {within} ({r.solver}, {r.seconds:.1f} s)")
    print(f"  sites kept {k['sites_after']} of {k['sites_before']}; floor area {k['floor_area_before_m2']:,.0f} -> "
          f"{k['floor_area_after_m2']:,.0f} m²")
    print(f"  running cost saving £{k['annual_running_saving_gbp']:,.0f}/yr; capital receipts "
          f"£{k['capital_receipts_gbp']:,.0f}; annual equivalent saving £{k['annual_equivalent_saving_gbp']:,.0f}/yr")
    for s in plan.services.itertuples(index=False):
        if s.total_demand > 0:
            print(f"  {s.service_id}: {_pct(s.share_within_before)} -> {_pct(s.share_within_after)} within "
                  f"{'' if math.isnan(s.standard_min) else f'{s.standard_min:g} min'}; mean travel "
                  f"{s.mean_travel_min_before:.1f} -> {s.mean_travel_min_after:.1f} min")
    if plan.programme is not None:
        print(f"  programme {k['programme_start_year']}-{k['programme_start_year'] + k['programme_years'] - 1}: "
              f"{(plan.programme.action == 'dispose').sum()} disposals, last in {k['last_disposal_year'] or '-'}; "
              f"NPV saving £{k['npv_saving_gbp']:,.0f}; payback {k['payback_year'] or 'not within the appraisal'}")
    print(f"  written to {folder}")
    if r.status is not Status.OPTIMAL:
        print(f"estate-opt: WARNING: this plan is NOT proven optimal (status {r.status.value}, gap {_pct(r.gap)}). "
              "Raise --time-limit, or pass --allow-gap to accept it.", file=sys.stderr)
        return OK if args.allow_gap else NOT_PROVEN
    return OK


def _pct(v) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:.2%}" if v >= 1e-4 or v == 0 else f"{v:.1e}"


def _validate(args) -> int:
    from estate_opt.inputs.estate import load_estate
    from estate_opt.inputs.scenario import load_scenario
    from estate_opt.model import diagnose
    from estate_opt.model.formulation import ModelOptions

    sc = load_scenario(args.scenario)
    estate = load_estate(sc, reach_only=True)
    print(f"{sc.name}: inputs are valid")
    print(f"  {len(estate.sites):,} sites ({(estate.sites.fixed == 'retain').sum()} must stay, "
          f"{(estate.sites.fixed == 'dispose').sum()} must go), {len(estate.services):,} services, "
          f"{len(estate.zones):,} zones, {len(estate.occupation):,} service occupations today")
    print(f"  travel: {estate.travel_description}; " + (
        "every zone's nearest site able to host each service is within reach" if estate.reach_only else
        f"{len(estate.pairs):,} admissible zone-service-site pairs"))
    reasons = diagnose.precheck(estate, ModelOptions.from_scenario(sc))
    if reasons:
        raise InfeasibleError("the scenario cannot be met:\n  - " + "\n  - ".join(reasons))
    return OK


def _verify(args) -> int:
    from estate_opt.results.verify import verify_run

    report = verify_run(args.out_dir)
    print(report.text())
    if not report.ok:
        raise VerifyError(f"{len(report.failures)} check(s) failed in {args.out_dir}")
    print(f"{args.out_dir}: all {len(report.checks)} checks passed")
    return OK


def _report(args) -> int:
    from estate_opt.outputs.pack import rewrite_pack

    written = rewrite_pack(args.out_dir)
    print(f"{args.out_dir}: rewrote {', '.join(written)}")
    return OK


def _compare(args) -> int:
    from estate_opt.analysis.compare import (
        comparison_tables,
        plan_for,
        write_comparison,
    )
    from estate_opt.model.solve import Status
    from estate_opt.results.folder import check_out_dir

    progress = _Progress(args.quiet)
    out = args.out or args.runs / ("compare-" + "-".join(p.stem for p in args.scenarios))[:120]
    check_out_dir(out, list(args.scenarios), args.overwrite)
    solved = [plan_for(p, args.runs, not args.no_reuse, progress, _solver_overrides(args)) for p in args.scenarios]
    folder = write_comparison(solved, out)
    print(comparison_tables(solved)["headlines"].to_string())
    print(f"written to {folder}")
    not_proven = [s.label for s in solved if s.plan.result.status is not Status.OPTIMAL]
    if not_proven:
        print(f"estate-opt: WARNING: not proven optimal: {', '.join(not_proven)}", file=sys.stderr)
    return OK


def _keep_cost(args) -> int:
    from estate_opt.analysis.keepcost import keep_costs, write_keep_costs

    table = keep_costs(args.out_dir, args.sites, _solver_overrides(args), _Progress(args.quiet))
    path = write_keep_costs(args.out_dir, table)
    print(table.drop(columns=["reason"]).to_string(index=False))
    print(f"written to {path}; report.html and plan.xlsx now show them")
    return OK


def _sensitivity(args) -> int:
    from estate_opt.analysis.sensitivity import sensitivity, write_sensitivity

    table, draws = sensitivity(args.out_dir, args.draws, args.seed, _solver_overrides(args), _Progress(args.quiet))
    path = write_sensitivity(args.out_dir, table, draws)
    free = table[table.fixed_reason.fillna("") == ""]
    marginal = free[~free.firm]
    print(f"{len(free) - len(marginal)} of {len(free)} free decisions are firm over {args.draws} draws")
    if len(marginal):
        print(marginal[["site_id", "name", "decision", "disposed_share"]].to_string(index=False))
    print(f"written to {path}; report.html and plan.xlsx now show it")
    return OK


def _sweep(args) -> int:
    from estate_opt.analysis.sweep import jobs_for, sweep
    from estate_opt.model.solve import Status

    table = sweep(jobs_for(args.scenarios, args.areas), args.out, scheduler=args.scheduler, workers=args.workers,
                  overrides=_solver_overrides(args), pack=not args.no_pack, force=args.force,
                  progress=_Progress(args.quiet))
    show = table[["job", "outcome", "status", "gap", "annual_equivalent_saving_gbp", "sites_kept", "seconds"]]
    print(show.to_string(index=False))
    print(f"written to {args.out}/ (index: sweep.csv)")
    failed = table[table.outcome == "failed"]
    for r in failed.itertuples(index=False):
        print(f"estate-opt: {r.job} failed: {r.message}", file=sys.stderr)
    # the index holds each plan's status as written (text); read it back as the enum
    not_proven = [r.job for r in table.itertuples(index=False)
                  if r.outcome != "failed" and Status(r.status) is not Status.OPTIMAL]
    if not_proven:
        print(f"estate-opt: WARNING: not proven optimal: {', '.join(not_proven)}", file=sys.stderr)
    return JOBS_FAILED if len(failed) else OK


def _frontier(args) -> int:
    import numpy as np

    from estate_opt.analysis.frontier import (
        current_value,
        frontier_table,
        trace,
        write_frontier,
    )

    progress = _Progress(args.quiet)
    sc = _scenario(args)
    values = args.values
    if values is None and None not in (args.start, args.stop):
        step = args.step or (args.stop - args.start) / 4
        values = list(np.round(np.arange(args.start, args.stop + step / 2, step), 9)) if not args.exact else \
            [args.start, args.stop]
    if values is None and not args.exact:
        raise InputError(InputProblem("frontier", "no levels to solve at", "give --values or --from/--to/--step"))
    out = args.out or Path("runs") / f"frontier-{args.scenario.stem}"
    points, service, setting = trace(sc, args.vary, values, args.exact, out, progress)
    write_frontier(points, service, setting, sc, current_value(sc, args.vary), out)
    print(frontier_table(points, service, setting).drop(columns=["reason", "folder"]).to_string(index=False))
    print(f"written to {out}")
    return OK


def entry() -> None:
    """The console command: ``main`` as a process exit code."""
    code = main()
    if code == INTERRUPTED:
        # A solver stopped by Ctrl-C may leave native threads behind (HiGHS's scheduler); the C++ runtime
        # can abort while tearing them down at exit, so leave at once once everything is flushed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
