"""Comparing options, on estates small enough to check by hand: scenario inheritance, side-by-side
comparison, the saving-versus-access frontier, the cost of keeping and of losing each site, partners'
positions, equity limits and robustness draws. Answers are checked, not just that the code ran."""

from __future__ import annotations

import pandas as pd
import pytest

from estate_opt.analysis.compare import comparison_tables, plan_for
from estate_opt.analysis.frontier import frontier_table, trace
from estate_opt.analysis.keepcost import keep_costs
from estate_opt.analysis.sensitivity import sensitivity
from estate_opt.cli import main
from estate_opt.errors import InputError
from estate_opt.inputs.scenario import annuity_factor, load_scenario
from estate_opt.results.verify import verify_run
from estate_opt.run import run_scenario

PHI = annuity_factor(0.035, 30)


def child(make, text: str, name: str) -> object:
    base = make()
    path = base.parent / name
    path.write_text(text)
    return path


def kept_and_objective(path, tmp_path, label):
    plan, out = run_scenario(load_scenario(path), tmp_path / label)
    assert verify_run(out).ok
    return sorted(plan.sites.site_id[plan.sites.decision == "retain"]), plan.result.objective


# ------------------------------------------------------------------------------------------ inheritance

def test_extends_overrides_only_what_it_names(line):
    _, make = line
    path = child(make, "extends: scenario.yaml\nservices:\n  lib: {max_travel_min: 4}\n"
                       "solver: {time_limit_s: 30}\n", "strict.yaml")
    sc = load_scenario(path)
    base = load_scenario(path.parent / "scenario.yaml")
    assert sc.name == "strict" and sc.extends.endswith("scenario.yaml")
    assert sc.services == {"lib": {"max_travel_min": 4.0}}
    assert sc.solver.time_limit_s == 30 and sc.solver.mip_gap == base.solver.mip_gap
    assert sc.inputs.sites == base.inputs.sites and sc.travel == base.travel


def test_extends_resolves_paths_against_each_file(line, tmp_path):
    _, make = line
    base = make()
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "variant.yaml").write_text(f"extends: {base}\nname: variant\n")
    sc = load_scenario(other / "variant.yaml")
    assert sc.inputs.sites == (base.parent / "sites.csv").resolve()


def test_extends_cycles_and_missing_parents_are_named(line):
    _, make = line
    a = child(make, "extends: b.yaml\n", "a.yaml")
    child(make, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(InputError, match="goes round in a circle"):
        load_scenario(a)
    c = child(make, "extends: nowhere.yaml\n", "c.yaml")
    with pytest.raises(InputError, match="extends: file not found"):
        load_scenario(c)


# ------------------------------------------------------------------------------------------ compare

@pytest.mark.slow
def test_compare_side_by_side_and_reuse(line, tmp_path, capsys):
    _, make = line
    base = make()
    strict = child(make, "extends: scenario.yaml\nservices:\n  lib: {max_travel_min: 4}\n", "strict.yaml")
    runs = tmp_path / "runs"
    solved = [plan_for(base, runs), plan_for(strict, runs)]
    t = comparison_tables(solved)
    h = t["headlines"]
    assert h.loc["Sites kept"].tolist() == [1, 2]
    assert h.loc["Running cost saved"].tolist() == [pytest.approx(180_000), pytest.approx(50_000)]
    d = t["decisions"].set_index("site_id")
    assert d.loc["S3", ["scenario", "strict"]].tolist() == ["retain", "dispose"]
    assert set(d.index) == {"S1", "S2", "S3"}
    # the CLI reuses both written plans (they still verify) and writes the comparison
    assert main(["compare", str(base), str(strict), "--runs", str(runs), "--out", str(tmp_path / "cmp")]) == 0
    err = capsys.readouterr().err
    assert err.count("reusing the plan") == 2
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert "Sites whose decision changes (3)" in page and "£180,000 a year" in page
    # an input that changes forces a fresh solve
    tables = pd.read_csv(base.parent / "sites.csv")
    tables.loc[0, "running_cost_gbp"] = 100_001
    tables.to_csv(base.parent / "sites.csv", index=False)
    assert not plan_for(base, runs).reused


# ------------------------------------------------------------------------------------------ frontier

def test_frontier_grid_is_monotone_and_every_point_verifies(line, tmp_path):
    _, make = line
    points, service, setting = trace(load_scenario(make()), "services.lib.max_travel_min", [3, 4, 5, 6, 9],
                                     out=tmp_path / "fr")
    df = frontier_table(points, service, setting)
    assert df.status.tolist() == ["optimal"] * 5
    saving = df.annual_equivalent_saving_gbp.tolist()
    assert saving == sorted(saving)  # a looser standard never saves less
    assert saving == pytest.approx([50_000, 50_000, 180_000, 180_000, 180_000])
    for p in points:
        assert verify_run(p.folder).ok
    # on the frontier: (0 min, £50k) and (5 min, £180k); looser standards add nothing
    assert df.pareto.tolist() == [True, False, True, False, False]


def test_exact_frontier_finds_every_break_point(line, tmp_path):
    _, make = line
    points, service, setting = trace(load_scenario(make()), "services.lib.max_travel_min", [0, 12], exact=True)
    df = frontier_table(points, service, setting)
    assert df.longest_trip_min.tolist() == pytest.approx([0.0, 5.0])
    assert df.annual_equivalent_saving_gbp.tolist() == pytest.approx([50_000, 180_000])


def test_frontier_cli_marks_infeasible_levels(line, tmp_path, capsys):
    _, make = line
    out = tmp_path / "fr"
    assert main(["frontier", str(make()), "--vary", "services.lib.required_share", "--values", "0", "1",
                 "--out", str(out), "-q"]) == 0
    df = pd.read_csv(out / "frontier.csv")
    assert df.status.tolist() == ["optimal", "optimal"]
    assert (out / "frontier.png").stat().st_size > 5_000 and "epsilon" in (out / "frontier.html").read_text()


# ------------------------------------------------------------------------------------------ keep cost

@pytest.mark.slow
def test_cost_of_keeping_equals_the_difference_of_two_optima(line, tmp_path):
    tables, make = line
    _, base = kept_and_objective(make(), tmp_path, "base")
    plan_dir = tmp_path / "base"
    kc = keep_costs(plan_dir).set_index("site_id")
    # force each decision the other way in a scenario of its own, and solve it from scratch
    tables["sites"]["must_retain"] = ["true", "false", "false"]
    _, keep_s1 = kept_and_objective(make(name="keep_s1.yaml"), tmp_path, "keep_s1")
    tables["sites"]["must_retain"] = "false"
    tables["sites"]["must_dispose"] = ["false", "false", "true"]
    _, lose_s3 = kept_and_objective(make(name="lose_s3.yaml"), tmp_path, "lose_s3")
    assert kc.at["S1", "extra_annual_cost_gbp"] == pytest.approx(keep_s1 - base)  # £100,000
    assert kc.at["S3", "extra_annual_cost_gbp"] == pytest.approx(lose_s3 - base)  # £130,000
    assert kc.at["S1", "method"] == "bound" and kc.at["S3", "method"] == "solve"


@pytest.mark.slow
def test_a_site_that_cannot_go_says_why(line, tmp_path):
    tables, make = line
    tables["services"].loc[0, "max_travel_min"] = 4.0  # S1 and S2 are each the only site in reach
    run_scenario(load_scenario(make()), tmp_path / "run")
    assert main(["keep-cost", str(tmp_path / "run"), "-q"]) == 0
    kc = pd.read_csv(tmp_path / "run" / "keep_costs.csv").set_index("site_id")
    assert kc.at["S1", "status"] == "infeasible" and kc.at["S1", "method"] == "precheck"
    assert "no site able to host lib within 4 min" in kc.at["S1", "reason"]
    report = (tmp_path / "run" / "report.html").read_text()
    assert "West House cannot go" in report and "Why these buildings?" in report


# ------------------------------------------------------------------------------------------ partners

def nhs_middle(tables):
    """S3, in the middle, belongs to the NHS; the council holds S1 and S2; moving costs £100/m²."""
    tables["sites"]["owner"] = ["Council", "Council", "NHS Trust"]
    tables["sites"]["owner_type"] = ["council", "council", "nhs"]
    tables["services"]["move_cost_gbp_per_m2"] = 100.0


@pytest.mark.slow
def test_no_partner_worse_off(line, tmp_path):
    tables, make = line
    nhs_middle(tables)
    kept, obj = kept_and_objective(make(), tmp_path, "free")
    assert kept == ["S3"]  # the NHS hosts the library and pays the £20,000 fit-out: worse off
    owners = pd.read_csv(tmp_path / "free" / "owners.csv").set_index("owner")
    assert owners.at["NHS Trust", "net_annual_position_gbp"] == pytest.approx(-PHI * 20_000)
    path = make({"constraints": {"min_owner_position_gbp": 0}}, name="fair.yaml")
    kept, obj = kept_and_objective(path, tmp_path, "fair")
    assert kept == ["S1", "S2"] and obj == pytest.approx(180_000)


def test_shared_receipts_change_who_gains(line, tmp_path):
    tables, make = line
    nhs_middle(tables)
    tables["sites"].loc[0, "disposal_value_gbp"] = 1_000_000
    path = make({"constraints": {"min_owner_position_gbp": 0}, "economics": {"receipts_sharing": "equal"}})
    kept, obj = kept_and_objective(path, tmp_path, "shared")
    assert kept == ["S3"]  # half of West House's receipt more than pays the NHS's fit-out
    owners = pd.read_csv(tmp_path / "shared" / "owners.csv").set_index("owner")
    assert owners.receipts_shared_gbp.tolist() == pytest.approx([500_000, 500_000])
    assert obj == pytest.approx(50_000 + PHI * 20_000 - PHI * 1_000_000)


def test_consent_list_keeps_the_others(line, tmp_path):
    tables, make = line
    nhs_middle(tables)
    path = make({"constraints": {"consent": {"Council": ["S1"]}}})
    kept, _ = kept_and_objective(path, tmp_path, "consent")
    assert "S2" in kept  # the council did not consent to losing East House
    sites = pd.read_csv(tmp_path / "consent" / "sites.csv", keep_default_na=False).set_index("site_id")
    assert sites.at["S2", "fixed_reason"] == "Council has not consented to its disposal"
    bad = make({"constraints": {"consent": {"Police": ["S1"]}}}, name="bad.yaml")
    with pytest.raises(InputError, match="owns no site: Police"):
        run_scenario(load_scenario(bad), None)


# ------------------------------------------------------------------------------------------ equity

@pytest.mark.slow
def test_travel_increase_limit_per_zone(line, tmp_path):
    _, make = line
    kept, obj = kept_and_objective(make({"constraints": {"max_travel_increase_min": 3}}), tmp_path, "equity")
    assert kept == ["S1", "S2"] and obj == pytest.approx(180_000)  # S3 alone adds 5 minutes for everyone
    kept, _ = kept_and_objective(make({"constraints": {"max_travel_increase_min": 5}}, name="five.yaml"),
                                 tmp_path, "five")
    assert kept == ["S3"]


def test_travel_increase_limit_per_deprivation_decile(line, tmp_path):
    tables, make = line
    path = make({"constraints": {"max_decile_travel_increase_min": 3}})
    with pytest.raises(InputError, match="needs a deprivation_decile"):
        run_scenario(load_scenario(path), None)
    tables["zones"]["deprivation_decile"] = [1, 10]
    kept, _ = kept_and_objective(make({"constraints": {"max_decile_travel_increase_min": 3}}, name="d.yaml"),
                                 tmp_path, "decile")
    assert kept == ["S1", "S2"]


# ------------------------------------------------------------------------------------------ robustness

@pytest.mark.slow
def test_sensitivity_is_seeded_and_counts_decisions(line, tmp_path):
    tables, make = line
    tables["sites"].loc[2, "running_cost_gbp"] = 170_000  # S3 alone (£170k) vs S1+S2 (£180k): marginal
    run_scenario(load_scenario(make()), tmp_path / "run")
    a, draws = sensitivity(tmp_path / "run", draws=12, seed=3)
    b, _ = sensitivity(tmp_path / "run", draws=12, seed=3)
    assert a.equals(b)  # same seed, same answer
    assert (draws.status == "optimal").all() and len(draws) == 12
    share = a.set_index("site_id").disposed_share
    assert 0 < share["S3"] < 1 and share["S1"] == pytest.approx(1 - share["S3"])  # the choice flips
    assert main(["sensitivity", str(tmp_path / "run"), "--draws", "4", "--seed", "3", "-q"]) == 0
    assert "How firm is each decision?" in (tmp_path / "run" / "report.html").read_text()
