"""The embedded default: Trafford's real estate, rebuilt from raw data and solved to a proven optimum."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import NO_TIME_LIMIT, ROOT

from estate_opt.cli import main
from estate_opt.inputs.estate import load_estate
from estate_opt.inputs.scenario import load_scenario
from estate_opt.inputs.schema import data_model_markdown
from estate_opt.results.verify import verify_run

SCENARIOS = ROOT / "scenarios"
DATA = ROOT / "data" / "trafford"


def test_data_rebuilds_byte_for_byte_from_raw(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "data" / "build_trafford.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for f in sorted(DATA.iterdir()):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f"{f.name} differs from a fresh build"


def test_trafford_data_is_real_and_complete():
    zones = pd.read_csv(DATA / "zones.csv")
    assert len(zones) == 139 and zones.population.sum() == 241_025  # ONS mid-2024, 139 LSOAs
    sites = pd.read_csv(DATA / "sites.csv")
    assert sites.site_id.is_unique and len(sites) > 90
    assert set(sites.owner_type) >= {"council", "nhs", "fire", "central_government"}
    tgh = sites.set_index("site_id").loc["NHS-RW3TR"]
    assert tgh.floor_area_m2 == 56_493  # NHS ERIC 2016-17, Trafford General Hospital
    assert (sites.must_retain & sites.notes.str.contains("must_retain")).sum() == sites.must_retain.sum()
    assumptions = pd.read_csv(DATA / "assumptions.csv")
    assert set(assumptions.kind) == {"assumption", "derived", "published"}
    eric = assumptions.set_index("id").loc["eric_running_cost_gbp_per_m2", "value"]
    assert float(eric) == pytest.approx(129.78, abs=0.01)


@pytest.mark.parametrize("name", ["trafford", "trafford-strict", "trafford-loose", "trafford-savings"])
def test_shipped_scenarios_validate(name, capsys):
    assert main(["validate", str(SCENARIOS / f"{name}.yaml")]) == 0
    assert "inputs are valid" in capsys.readouterr().out


@pytest.mark.slow
def test_default_plan_is_proven_optimal_and_verifies(trafford_run):
    """The README's main job: the Trafford default, solved to a proven optimum, every output checked."""
    out = trafford_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["gap"] <= 1e-6
    report = verify_run(out)
    assert report.ok, report.text()
    k = summary["kpis"]
    sites = pd.read_csv(out / "sites.csv")
    assert k["sites_before"] == len(sites) and 0 < k["sites_disposed"] < len(sites)
    # every resident is still within every service's standard
    access = pd.read_csv(out / "access.csv")
    assert (access.share_within_after >= 1 - 1e-9).all()
    # must-retain sites stayed; the assumptions travelled with the plan
    flagged = pd.read_csv(DATA / "sites.csv").query("must_retain").site_id
    assert (sites.set_index("site_id").loc[flagged, "decision"] == "retain").all()
    assert len(summary["assumptions"]) == len(pd.read_csv(DATA / "assumptions.csv"))
    for name in ("map.html", "map.png", "report.html", "plan.xlsx", "access.png", "owners.png", "travel.png"):
        assert (out / name).stat().st_size > 10_000, name
    # the disposal list is exactly the disposed sites, and their savings add up to the KPI
    disposals = pd.read_csv(out / "disposals.csv")
    assert set(disposals.site_id) == set(sites.site_id[sites.decision == "dispose"])
    assert disposals.annual_saving_gbp.sum() == pytest.approx(k["annual_running_saving_gbp"])
    # no service is scattered: no service point below its viable size
    services = pd.read_csv(DATA / "services.csv").set_index("service_id")
    alloc = pd.read_csv(out / "allocation.csv")
    area = (alloc.demand * alloc.service_id.map(services.space_m2_per_unit)).groupby([alloc.service_id,
                                                                                      alloc.site_id]).sum()
    mu = area.index.get_level_values(0).map(services.min_site_m2).to_numpy()
    assert (area.to_numpy() >= mu * (1 - 1e-6)).all()


def test_a_stricter_standard_admits_a_subset_of_trips():
    """Every (zone, service, site) trip the strict scenario admits, the default admits too, and it admits fewer."""
    default = load_estate(load_scenario(SCENARIOS / "trafford.yaml")).pairs
    strict = load_estate(load_scenario(SCENARIOS / "trafford-strict.yaml")).pairs
    key = ["zone_id", "service_id", "site_id"]
    assert len(strict.merge(default[key], on=key)) == len(strict) < len(default)


@pytest.mark.slow
def test_a_stricter_standard_never_costs_less(trafford_run):
    """A stricter standard admits a subset of plans, so its optimum is no cheaper than the default's.

    Compared on what the solvers proved: the strict plan's cost is at least the default's proven lower bound
    (whatever gap either solve stopped at, a cheaper strict plan would be a plan the default's bound rules out).
    """
    from estate_opt.model.formulation import ModelOptions
    from estate_opt.model.phasing import PhasingOptions
    from estate_opt.model.solve import Status
    from estate_opt.run import solve_estate

    default = json.loads((trafford_run / "summary.json").read_text())
    sc = load_scenario(SCENARIOS / "trafford-strict.yaml")
    # Any proven plan will do (the check holds at any gap), so stop at 1%: no time limit, outcome independent of speed.
    sc.solver.time_limit_s, sc.solver.mip_gap = NO_TIME_LIMIT, 1e-2
    strict, _ = solve_estate(load_estate(sc), ModelOptions.from_scenario(sc), sc.solver,
                             phasing=PhasingOptions.from_scenario(sc))
    assert strict.result.status == Status.OPTIMAL and strict.result.gap <= 1e-2
    assert default["status"] == "optimal" and default["bound"] is not None
    assert strict.result.objective >= default["bound"] - 1e-6 * abs(default["bound"])


def test_data_model_docs_are_current():
    assert (ROOT / "docs" / "data_model.md").read_text() == data_model_markdown() + "\n"


def test_model_docs_cover_every_constraint_family():
    import estate_opt.model.formulation as m

    families = [n for n in dir(m) if n.startswith("define_")]
    text = (ROOT / "docs" / "model.md").read_text()
    for word in ("Demand served", "Access standard", "Linking", "Capacity", "Fit-out", "Incompatible",
                 "Board limits", "Valid inequality", "annual equivalent cost"):
        assert word in text and word.lower() in m.__doc__.lower(), word
    assert len(families) >= 10


@pytest.mark.slow
def test_trafford_compare_reuses_and_keep_cost_explains(trafford_run, tmp_path, capsys):
    """compare and keep-cost on the real default, from the CLI, without re-solving the whole estate."""
    import shutil

    # the same settings the fixture solved with, so compare may reuse its plan (and says so)
    assert main(["compare", str(SCENARIOS / "trafford.yaml"), "--runs", str(trafford_run.parent),
                 "--out", str(tmp_path / "cmp"), "--time-limit", f"{NO_TIME_LIMIT:g}"]) == 0
    out, err = capsys.readouterr()
    assert "reusing the plan" in err and "solving" not in err
    assert "Status" in out  # the headline table printed
    assert (tmp_path / "cmp" / "compare.html").exists()
    copy = tmp_path / "trafford"
    shutil.copytree(trafford_run, copy)
    leisure = pd.read_csv(DATA / "occupation.csv").query("service_id == 'leisure'").site_id.iloc[0]
    assert main(["keep-cost", str(copy), "--sites", leisure, "-q"]) == 0
    kc = pd.read_csv(copy / "keep_costs.csv")
    assert kc.status.tolist() == ["infeasible"] and kc.method.tolist() == ["precheck"]
    assert "leisure needs" in kc.reason.iloc[0]  # every leisure centre is full today: none can go
    assert verify_run(copy).ok
