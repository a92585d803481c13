"""Run a scenario end to end: load -> check -> build -> solve -> plan -> write.

The CLI is a thin shell over :func:`run_scenario`; notebooks and benchmarks call the same steps.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pulp
import yaml

from estate_opt.errors import InfeasibleError, SolverError
from estate_opt.inputs.estate import Estate, load_estate
from estate_opt.inputs.scenario import FILE_SETTINGS, Scenario, Solver
from estate_opt.model import diagnose
from estate_opt.model.formulation import EstateModel, ModelOptions, build_model
from estate_opt.model.phasing import (
    PhasingOptions,
    add_programme,
    cash_flows,
    check_programme,
    programme_kpis,
    programme_table,
)
from estate_opt.model.solve import OnProgress, SolveProgress, Status, solve
from estate_opt.results.plan import Plan, decisions_from_model, make_plan

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


def solve_estate(estate: Estate, options: ModelOptions, solver: Solver, scenario_name: str = "scenario",
                 progress: Progress = _quiet, timings: dict | None = None,
                 start: dict | None = None, phasing: PhasingOptions | None = None,
                 on_progress: OnProgress | None = None) -> tuple[Plan, EstateModel]:
    """Build, solve and read back a plan; raise with an explanation when there is none.

    ``on_progress``: called with a :class:`SolveProgress` at least every 5 s of the solve (return True to
    stop and keep the best plan so far); by default each report goes to ``progress`` as a line.

    ``start``: variable values of a known plan (e.g. a related scenario's) to warm-start the solver.
    ``phasing``: also decide the year of every disposal and move (a programme; objective NPV).
    """
    timings = {} if timings is None else timings
    reasons = diagnose.precheck(estate, options) + (check_programme(estate, phasing) if phasing else [])
    if reasons:
        raise InfeasibleError("the scenario cannot be met:\n  - " + "\n  - ".join(reasons))
    t = time.perf_counter()
    progress(f"building the model ({len(estate.pairs):,} zone-service-site pairs, {len(estate.sites):,} sites)")
    model = build_model(estate, options)
    prog = add_programme(model, estate, phasing, options) if phasing else None
    timings["build_s"] = time.perf_counter() - t
    progress(f"  {len(model.problem.variables()):,} variables, {model.problem.numConstraints():,} constraints "
             f"({timings['build_s']:.1f} s)")
    progress(f"solving with {solver.name} (time limit {solver.time_limit_s:g} s, gap tolerance {solver.mip_gap:g})")
    if on_progress is None:
        def on_progress(p: SolveProgress) -> None:
            progress("  " + p.describe())
    result = solve(model.problem, solver, start=start, on_progress=on_progress, progress_every_s=5.0)
    timings["solve_s"] = result.seconds
    progress(f"  {result.describe()}")
    if result.status == Status.INFEASIBLE:
        raise InfeasibleError(diagnose.explain_infeasible(estate, options, solver, phasing))
    if not result.status.has_solution:
        raise SolverError(f"the solver found no plan: {result.status.value} ({result.message}). "
                          + ("Raise the time limit (--time-limit) or try the other solver."
                             if result.status == Status.NO_SOLUTION else ""))
    kept, allocation = decisions_from_model(model)
    if options.travel_weight == 0:
        t = time.perf_counter()
        # with a programme, its yes/no choices stay as solved; residents' shares (and the fit-out they need,
        # within the move cost already paid) may move
        refined = _nearest_allocation(model, solver, progress,
                                      [*prog.release.values(), *prog.movein.values()] if prog else [])
        timings["allocation_s"] = time.perf_counter() - t
        if refined is not None:
            allocation = refined
    plan = make_plan(estate, kept, allocation, options, result, scenario_name)
    if prog:
        plan.programme = programme_table(prog, estate, allocation)
        plan.cashflow, plan.cashflow_owners = cash_flows(plan.programme, estate.sites, phasing, options.receipts_sharing,
                                                         set(kept))
        plan.kpis.update(programme_kpis(plan.programme, plan.cashflow, phasing))
    return plan, model


def _nearest_allocation(model: EstateModel, solver: Solver, progress: Progress, also_fixed=()):
    """Among allocations costing the same, the one with the least travel (a second, LP solve).

    With no travel weight the cost optimum leaves residents' allocation arbitrary; fixing the
    sites and services chosen and minimising demand-weighted minutes, at no extra move cost,
    sends residents to the nearest site that has room.

    The model is given back as built (its bounds, objective and constraints restored), holding
    the refined values when the second solve succeeds and the first ones otherwise.
    """
    from estate_opt.results.plan import allocation_from_model

    prob = model.problem
    fixed = [*model.keep, *model.host, *also_fixed]
    saved = {v.name: v.varValue for v in prob.variables()}
    bounds = [(v, v.lowBound, v.upBound) for v in fixed]
    objective, objective_name = prob.objective, prob.objective.name
    for v in fixed:
        val = v.varValue or 0.0
        v.lowBound = v.upBound = round(val) if v.cat == pulp.LpInteger else max(val, v.lowBound or 0.0)
    cap = None
    try:
        move_cost = pulp.value(model.move_cost) if model.fitout.size else 0.0
        if model.fitout.size:
            cap = model.move_cost <= move_cost + max(1e-6 * abs(move_cost), 1e-4)
            prob.addConstraint(cap, "Refine-move_cost")
        prob.setObjective(model.travel)
        result = solve(prob, Solver(name=solver.name, time_limit_s=solver.time_limit_s, mip_gap=0.0,
                                    threads=solver.threads, log=solver.log))
    finally:
        for v, low, up in bounds:
            v.lowBound, v.upBound = low, up
        if cap is not None:
            prob._constraints.pop(cap.name, None)  # PuLP 3.3's own store, name (as PuLP spells it) -> constraint
        prob.setObjective(objective)
        objective.name = objective_name
    if result.status != Status.OPTIMAL:
        progress(f"  nearest-site allocation not found ({result.status.value}); keeping the first allocation")
        for v in prob.variables():
            v.varValue = saved.get(v.name)
        return None
    progress(f"  residents sent to their nearest site with room ({result.seconds:.1f} s)")
    return allocation_from_model(model)


def run_scenario(scenario: Scenario, out: str | Path | None = None, *, overwrite: bool = False,
                 progress: Progress = _quiet, pack: bool = True,
                 on_progress: OnProgress | None = None) -> tuple[Plan, Path | None]:
    """Load, solve and (when ``out`` is given) write a scenario's plan; return it and its folder.

    ``scenario`` is left as given: the run works on a copy (which records, e.g., the start year a
    programme defaults to).
    """
    from estate_opt.results import folder as writers

    scenario = copy.deepcopy(scenario)
    timings = {}
    t = time.perf_counter()
    if out is not None:  # refuse a bad folder before spending time on the solve
        writers.check_out_dir(Path(out), _input_paths(scenario), overwrite)
    progress(f"loading inputs of '{scenario.name}'")
    estate = load_estate(scenario)
    timings["load_s"] = time.perf_counter() - t
    progress(f"  {len(estate.sites):,} sites, {len(estate.services):,} services, {len(estate.zones):,} zones; "
             f"travel: {estate.travel_description} ({timings['load_s']:.1f} s)")
    options = ModelOptions.from_scenario(scenario)
    if scenario.phasing.horizon_years and scenario.phasing.start_year is None:
        scenario.phasing.start_year = dt.date.today().year  # recorded in the run, so verify agrees next year
    phasing = PhasingOptions.from_scenario(scenario)
    plan, _ = solve_estate(estate, options, scenario.solver, scenario.name, progress, timings, phasing=phasing,
                           on_progress=on_progress)
    from estate_opt.results.folder import plan_meta

    plan.meta.update(plan_meta(scenario, estate))
    if out is None:
        return plan, None
    t = time.perf_counter()
    progress(f"writing the plan to {out}")
    folder = write_plan(plan, estate, scenario, Path(out), overwrite=overwrite, timings=timings, pack=pack)
    timings["write_s"] = time.perf_counter() - t
    return plan, folder


def _input_paths(scenario: Scenario) -> list[Path]:
    """Every file the scenario reads, and the scenario file: a run must never overwrite them."""
    paths = [getattr(getattr(scenario, section), key) for section, key in FILE_SETTINGS] + [scenario.path]
    return [Path(p) for p in paths if p is not None]


def write_plan(plan: Plan, estate: Estate, scenario: Scenario, out: Path, *, overwrite: bool = False,
               timings: dict | None = None, pack: bool = True) -> Path:
    """Write every output of a plan into ``out`` atomically."""
    from estate_opt.outputs.pack import pack_files
    from estate_opt.results import folder as writers

    out = writers.check_out_dir(out, _input_paths(scenario), overwrite)
    settings = scenario.to_dict()
    files: dict[str, object] = {
        "sites.csv": plan.sites, "disposals.csv": plan.disposals, "moves.csv": plan.moves,
        "allocation.csv": plan.allocation, "access.csv": plan.services, "owners.csv": plan.owners,
        "zone_access.csv": plan.zones,
        "scenario.yaml": yaml.safe_dump(settings, sort_keys=False, allow_unicode=True),
        "summary.json": writers.summary(plan, settings, estate.sources, estate.travel_description, timings or {}),
    }
    if plan.assumptions is not None:
        files["assumptions.csv"] = plan.assumptions
    if plan.programme is not None:
        files.update({"programme.csv": plan.programme, "cashflow.csv": plan.cashflow,
                      "cashflow_owners.csv": plan.cashflow_owners})
    if pack:  # the board pack: report, maps, charts, workbook
        files.update(pack_files(plan, estate, files["summary.json"]))
        if estate.has_locations:
            files["plan.gpkg"] = lambda p: _write_gpkg(plan, p)
    return writers.write_run(out, files)


def _write_gpkg(plan: Plan, path: Path) -> None:
    """The sites with their decisions as a GeoPackage layer for GIS users (EPSG:27700)."""
    import geopandas as gpd

    g = gpd.GeoDataFrame(plan.sites, geometry=gpd.points_from_xy(plan.sites.easting, plan.sites.northing),
                         crs="EPSG:27700")
    g.to_file(path, layer="sites", driver="GPKG")
