"""``run_scenario`` and ``solve_estate`` leave what they are given as they found it.

The caller's Scenario is not edited (a programme's default start year is recorded in the run, not
written back), and the model handed back is the model as built: the second, nearest-site solve
fixes the sites chosen, caps the move cost and minimises travel, then undoes all three.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from estate_opt.inputs.estate import load_estate
from estate_opt.inputs.scenario import load_scenario
from estate_opt.model.formulation import ModelOptions, build_model
from estate_opt.model.phasing import PhasingOptions, add_programme
from estate_opt.model.solve import Status, solve
from estate_opt.run import run_scenario, solve_estate


def test_run_scenario_leaves_the_scenario_as_given(line, tmp_path):
    _, make = line
    sc = load_scenario(make({"phasing": {"horizon_years": 1}}))  # no start year: the run takes this year
    before = copy.deepcopy(sc)
    _, folder = run_scenario(sc, tmp_path / "run", pack=False)
    assert sc == before and sc.phasing.start_year is None
    written = yaml.safe_load((folder / "scenario.yaml").read_text())
    assert written["phasing"]["start_year"] == dt.date.today().year  # the run still records the year it used


def _shape(prob):
    """Everything a solve depends on: bounds, objective, constraints."""
    return ({v.name: (v.lowBound, v.upBound) for v in prob.variables()}, str(prob.objective),
            {c.name: str(c) for c in prob.constraints()})


@pytest.mark.parametrize("phased", [False, True])
def test_solve_estate_gives_back_the_model_as_built(line, phased):
    _, make = line
    settings = {"services": {"lib": {"move_cost_gbp_per_m2": 10}}}  # a move cost: the second solve caps it
    if phased:
        settings["phasing"] = {"horizon_years": 2, "start_year": 2027}
    sc = load_scenario(make(settings))
    estate, options = load_estate(sc), ModelOptions.from_scenario(sc)
    phasing = PhasingOptions.from_scenario(sc)
    fresh = build_model(estate, options)
    if phased:
        add_programme(fresh, estate, phasing, options)
    plan, model = solve_estate(estate, options, sc.solver, phasing=phasing)
    assert options.travel_weight == 0  # so the nearest-site solve ran
    assert _shape(model.problem) == _shape(fresh.problem)
    again = solve(model.problem, sc.solver)  # and it solves to the same optimum
    assert again.status == Status.OPTIMAL
    assert again.objective == pytest.approx(plan.result.objective, rel=1e-9)
