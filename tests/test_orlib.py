"""Published optima of OR-Library instances, reached through the product's own path:
file -> raw tables -> build_estate -> build_model -> solve -> plan (the same calls a scenario makes)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ORLIB

from estate_opt.cli import main
from estate_opt.inputs.estate import build_estate
from estate_opt.inputs.orlib import load_instance, read_optima, to_files
from estate_opt.model.formulation import ModelOptions
from estate_opt.results.verify import verify_run
from estate_opt.run import solve_estate

OPTIMA = read_optima(ORLIB / "OPTIMA.csv")
SMALL = OPTIMA[~OPTIMA.instance.str.startswith("capa")
               & ~OPTIMA.instance.isin([f"pmed{i}" for i in range(6, 41)])]


def test_the_known_answer_set_is_complete():
    cflp = SMALL[SMALL.problem == "CFLP"].instance
    assert len(cflp) == 37 and {"cap41", "cap134"} <= set(cflp)
    assert len(SMALL[SMALL.problem == "UFLP"]) == 12
    assert sorted(SMALL[SMALL.problem == "PMEDIAN"].instance) == [f"pmed{i}" for i in range(1, 6)]


@pytest.mark.parametrize("instance", SMALL.instance.tolist())
def test_published_optimum(instance):
    row = OPTIMA.set_index("instance").loc[instance].copy()
    row["instance"] = instance
    raw, sc = load_instance(row, ORLIB)
    estate = build_estate(raw, sc, {t: row["file"] for t in raw})
    plan, _ = solve_estate(estate, ModelOptions.from_scenario(sc), sc.solver, instance)
    r = plan.result
    assert r.status.value == "optimal"
    assert r.gap <= 1e-6
    assert r.objective == pytest.approx(row.optimal_value, rel=1e-6, abs=1e-3)
    # the plan's own figures give the same objective: fixed costs + assignment costs
    assert plan.kpis["objective_gbp_per_yr"] == pytest.approx(row.optimal_value, rel=1e-6)
    if row.problem == "PMEDIAN":
        assert plan.kpis["sites_after"] == row.p


def test_cbc_reaches_the_same_optimum():
    row = OPTIMA.set_index("instance").loc["cap61"]
    raw, sc = load_instance(row, ORLIB)
    sc.solver.name = "cbc"
    plan, _ = solve_estate(build_estate(raw, sc), ModelOptions.from_scenario(sc), sc.solver)
    assert plan.result.solver == "cbc" and plan.result.status.value == "optimal"
    assert plan.result.objective == pytest.approx(row.optimal_value, rel=1e-6)


def test_benchmark_as_files_runs_and_verifies_from_the_cli(tmp_path, capsys):
    row = OPTIMA.set_index("instance").loc["cap41"]
    raw, sc = load_instance(row, ORLIB)
    scenario = to_files(raw, sc, tmp_path / "cap41")
    assert main(["run", str(scenario), "--out", str(tmp_path / "run"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "OPTIMAL" in out
    report = verify_run(tmp_path / "run")
    assert report.ok, report.text()
    summary = pd.read_json(tmp_path / "run" / "summary.json", typ="series")
    assert summary["objective"] == pytest.approx(row.optimal_value, rel=1e-6)
    assert main(["verify", str(tmp_path / "run")]) == 0


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_warm_start_keeps_the_optimum(solver):
    from estate_opt.model.formulation import build_model
    from estate_opt.model.solve import solve, values_of

    row = OPTIMA.set_index("instance").loc["cap72"]
    raw, sc = load_instance(row, ORLIB)
    model = build_model(build_estate(raw, sc), ModelOptions.from_scenario(sc))
    sc.solver.name = solver
    first = solve(model.problem, sc.solver)
    start = values_of(model.problem)
    again = solve(model.problem, sc.solver, start=start)
    assert again.status.value == "optimal" and again.objective == pytest.approx(row.optimal_value, rel=1e-6)
    nonsense = {name: 1.0 for name in start}  # violates "serve each customer once": must be ignored
    third = solve(model.problem, sc.solver, start=nonsense)
    assert third.status.value == "optimal" and third.objective == pytest.approx(first.objective, rel=1e-6)
