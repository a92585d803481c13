"""The solve engine: the primal heuristic's plans are feasible and never beat the proven optimum, the
solver proves the same optimum from them, progress reports are sane, and a stopped solve keeps its plan.

Small seeded synthetic areas (estate_opt.inputs.synthetic), solved to a proven optimum in seconds.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import pulp
import pytest

from estate_opt.inputs.estate import build_estate
from estate_opt.inputs.scenario import Solver
from estate_opt.inputs.synthetic import generate
from estate_opt.model.formulation import ModelOptions, build_model
from estate_opt.model.incumbent import find_incumbent, heuristic_start
from estate_opt.model.solve import SolveProgress, Status, solve

EXACT = Solver(name="highs", time_limit_s=120, mip_gap=1e-9)


def _area(n_sites=20, n_zones=50, n_services=3, seed=0):
    raw, sc = generate(n_sites, n_zones, n_services, seed)
    return build_estate(raw, sc), ModelOptions.from_scenario(sc)


def _violations(problem: pulp.LpProblem, start: dict, tol: float = 1e-6) -> list[str]:
    """Every bound, integrality and row of ``problem`` checked at ``start`` (recomputed here, not trusted)."""
    bad = []
    value = {v.name: start[v.name] for v in problem.variables()}
    for v in problem.variables():
        x = value[v.name]
        if v.lowBound is not None and x < v.lowBound - tol or v.upBound is not None and x > v.upBound + tol:
            bad.append(f"{v.name}={x} outside [{v.lowBound}, {v.upBound}]")
        if v.cat == pulp.LpInteger and abs(x - round(x)) > tol:
            bad.append(f"{v.name}={x} not integral")
    for name, c in problem._constraints.items():  # PuLP's own HiGHS reads them so
        lhs = sum(a * value[v.name] for v, a in c.items()) + c.constant
        scale = tol * (1 + sum(abs(a * value[v.name]) for v, a in c.items()) + abs(c.constant))
        if (c.sense == pulp.LpConstraintLE and lhs > scale) or (c.sense == pulp.LpConstraintGE and lhs < -scale) \
                or (c.sense == pulp.LpConstraintEQ and abs(lhs) > scale):
            bad.append(f"{name}: {lhs:g} {c.sense} 0")
    return bad


def _objective(problem: pulp.LpProblem, start: dict) -> float:
    return sum(a * start[v.name] for v, a in problem.objective.items()) + float(problem.objective.constant or 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_heuristic_plan_is_feasible_no_better_than_the_optimum_and_a_good_start(seed):
    estate, options = _area(seed=seed)
    model = build_model(estate, options)
    inc = find_incumbent(model, time_budget_s=20)
    assert inc is not None
    assert set(inc.start) == {v.name for v in model.problem.variables()}
    assert _violations(model.problem, inc.start) == []
    assert inc.objective == pytest.approx(_objective(model.problem, inc.start), rel=1e-9)
    assert inc.bound <= inc.objective * (1 + 1e-9) and 0 <= inc.gap < 1
    assert inc.kept == [s for s, y in model.keep.items() if inc.start[y.name] > 0.5]

    cold = solve(model.problem, EXACT)
    assert cold.status == Status.OPTIMAL
    tol = 1e-6 * abs(cold.objective)
    assert inc.objective >= cold.objective - tol  # a plan never beats the proven optimum
    assert inc.bound <= cold.objective + tol  # and the LP bound never exceeds it

    warm = solve(build_model(estate, options).problem, EXACT, start=inc.start)
    assert warm.status == Status.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-6)
    assert warm.objective <= inc.objective + tol


@pytest.mark.parametrize("limits", [
    {"max_sites": 8},
    {"min_sites": 12},
    {"exact_sites": 9},
    {"min_annual_saving": 400_000.0},
    {"capital_budget": 600_000.0},
    {"min_owner_position": -50_000.0},
    {"max_travel_increase": 6.0},
    {"receipts_sharing": "floor_area", "min_owner_position": 0.0},
], ids=lambda d: ",".join(d))
def test_every_constraint_family_gives_a_feasible_start_or_none(limits):
    estate, options = _area(seed=2)
    for k, v in limits.items():
        setattr(options, k, v)
    model = build_model(estate, options)
    start = heuristic_start(model, time_budget_s=15)
    exact = solve(build_model(estate, options).problem, EXACT)
    if start is None:  # allowed, but only an infeasible model should leave it with nothing
        assert exact.status in (Status.INFEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
        return
    assert _violations(model.problem, start) == []
    assert exact.status == Status.OPTIMAL  # a feasible start proves the model feasible
    assert _objective(model.problem, start) >= exact.objective - 1e-6 * abs(exact.objective)


def test_an_infeasible_model_gives_no_start():
    estate, options = _area(seed=0)
    options.exact_sites = 0  # every zone needs a site: no plan exists
    assert heuristic_start(build_model(estate, options), time_budget_s=5) is None


def test_progress_reports_are_sane_and_end_with_the_result():
    estate, options = _area(30, 75, 4, seed=0)
    model = build_model(estate, options)
    reports: list[SolveProgress] = []
    result = solve(model.problem, EXACT, on_progress=reports.append, progress_every_s=0.1)
    assert result.status == Status.OPTIMAL
    assert reports, "no progress report"
    times = [p.seconds for p in reports]
    assert times == sorted(times) and times[-1] <= result.seconds + 1.0
    for p in reports:
        if p.objective is not None and p.bound is not None:
            assert p.bound <= p.objective * (1 + 1e-9)
            assert p.gap == pytest.approx(max(0.0, p.objective - p.bound) / abs(p.objective))
            assert p.gap >= 0
        assert isinstance(p.describe(), str)
    objs = [p.objective for p in reports if p.objective is not None]
    assert objs == sorted(objs, reverse=True)  # the best plan only improves
    assert reports[-1].objective == pytest.approx(result.objective, rel=1e-9)


def _slow_model():
    """An area HiGHS needs well over a second to prove, with the heuristic's plan as its start."""
    estate, options = _area(60, 150, 6, seed=3)
    model = build_model(estate, options)
    return model, heuristic_start(build_model(estate, options), time_budget_s=10)


def test_a_progress_callback_can_stop_the_solve_and_keep_the_best_plan():
    model, start = _slow_model()
    assert start is not None
    result = solve(model.problem, Solver(time_limit_s=120, mip_gap=0.0), start=start,
                   on_progress=lambda p: p.seconds > 0.5, progress_every_s=0.1)
    assert result.status.has_solution
    if result.interrupted:  # unless HiGHS proved it before hearing the request
        assert result.status == Status.FEASIBLE and "progress callback" in result.message
        assert result.gap is None or result.gap >= 0  # None only when stopped before the root bound
    assert result.objective <= _objective(model.problem, start) + 1e-6 * abs(result.objective)
    values = {v.name: v.varValue for v in model.problem.variables()}
    assert _violations(model.problem, values) == []  # the plan read back is a real plan


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_with_a_plan_returns_it_labelled_with_its_gap():
    model, start = _slow_model()
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        result = solve(model.problem, Solver(time_limit_s=120, mip_gap=0.0), start=start)
    finally:
        timer.cancel()
    assert result.status.has_solution
    if result.interrupted:
        assert result.status == Status.FEASIBLE and "Ctrl-C" in result.message
    values = {v.name: v.varValue for v in model.problem.variables()}
    assert _violations(model.problem, values) == []
