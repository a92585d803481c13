"""Hand-checked optima on the line estate (see conftest.py), each verified from its written files.

Base case: one library service, 1 m² per resident, 6-minute standard. S3 in the middle reaches
both zones in 5 minutes and has room for all 200 residents, so keeping S3 alone (£50,000/yr)
beats keeping S1 and S2 (£180,000/yr).
"""

from __future__ import annotations

import pandas as pd
import pytest

from estate_opt.errors import InfeasibleError
from estate_opt.inputs.scenario import annuity_factor, load_scenario
from estate_opt.results.verify import verify_run
from estate_opt.run import run_scenario

PHI = annuity_factor(0.035, 30)


def solve_line(make, tmp_path, settings=None):
    sc = load_scenario(make(settings))
    plan, out = run_scenario(sc, tmp_path / "out")
    report = verify_run(out)
    assert report.ok, report.text()
    assert plan.result.status.value == "optimal"
    kept = sorted(plan.sites.site_id[plan.sites.decision == "retain"])
    return plan, kept


def test_phi_is_the_green_book_annuity():
    assert PHI == pytest.approx(0.035 / (1 - 1.035 ** -30))
    assert annuity_factor(0.0, 20) == pytest.approx(0.05)


def test_base_keeps_the_middle_site(line, tmp_path):
    _, make = line
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S3"]
    assert plan.result.objective == pytest.approx(50_000)
    assert plan.kpis["annual_running_saving_gbp"] == pytest.approx(180_000)
    a = plan.allocation.set_index("zone_id")
    assert (a.site_id == "S3").all() and a.travel_min.tolist() == pytest.approx([5.0, 5.0])
    # S1 and S2 close; their users move to S3 with their 100 m² each
    mv = plan.moves
    assert set(zip(mv.from_site_id, mv.to_site_id)) == {("S1", "S3"), ("S2", "S3")}
    assert mv.floor_area_m2.tolist() == pytest.approx([100, 100])
    assert list(plan.disposals.site_id) == ["S1", "S2"]  # largest saving first


def test_tighter_standard_keeps_both_ends(line, tmp_path):
    tables, make = line
    tables["services"].loc[0, "max_travel_min"] = 4.0
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S1", "S2"]
    assert plan.result.objective == pytest.approx(180_000)


def test_capacity_forces_a_second_site(line, tmp_path):
    tables, make = line
    tables["sites"].loc[2, "floor_area_m2"] = 150
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S2", "S3"]  # £130,000 beats S1+S3 (£150,000) and S1+S2 (£180,000)
    assert plan.result.objective == pytest.approx(130_000)
    # nearest-site allocation among cost-optimal ones: East goes to S2 next door
    a = plan.allocation.set_index("zone_id").site_id
    assert a["Z1"] == "S3" and a["Z2"] == "S2"


def test_must_retain_and_must_dispose(line, tmp_path):
    tables, make = line
    tables["sites"]["must_retain"] = ["true", "false", "false"]
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S1", "S3"] and plan.result.objective == pytest.approx(150_000)
    tables["sites"]["must_retain"] = "false"
    tables["sites"]["must_dispose"] = ["false", "false", "true"]
    plan, kept = solve_line(make, tmp_path / "b")
    assert kept == ["S1", "S2"] and plan.result.objective == pytest.approx(180_000)


def test_receipts_are_annualised(line, tmp_path):
    tables, make = line
    tables["sites"].loc[0, "disposal_value_gbp"] = 1_000_000
    tables["sites"].loc[0, "disposal_cost_gbp"] = 20_000
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S3"]
    assert plan.result.objective == pytest.approx(50_000 - PHI * 980_000)
    assert plan.kpis["capital_receipts_gbp"] == pytest.approx(980_000)


def test_capital_budget_blocks_backlog(line, tmp_path):
    tables, make = line
    tables["sites"].loc[2, "backlog_gbp"] = 2_000_000
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S3"] and plan.result.objective == pytest.approx(50_000 + PHI * 2_000_000)
    plan, kept = solve_line(make, tmp_path / "b", {"constraints": {"capital_budget_gbp": 1_000_000}})
    assert kept == ["S1", "S2"] and plan.result.objective == pytest.approx(180_000)


def test_exact_sites(line, tmp_path):
    _, make = line
    plan, kept = solve_line(make, tmp_path, {"constraints": {"exact_sites": 2}})
    assert kept == ["S2", "S3"] and plan.result.objective == pytest.approx(130_000)


@pytest.mark.parametrize("weight, kept_expected, objective", [
    (100.0, ["S3"], 50_000 + 100 * 1000),  # 1,000 resident-minutes at £100
    (200.0, ["S1", "S2"], 180_000),  # travel now dearer than a second building
])
def test_travel_weight_trades_cost_for_access(line, tmp_path, weight, kept_expected, objective):
    _, make = line
    plan, kept = solve_line(make, tmp_path, {"economics": {"travel_weight_gbp_per_unit_min": weight}})
    assert kept == kept_expected and plan.result.objective == pytest.approx(objective)


def test_required_share_allows_longer_trips(line, tmp_path):
    tables, make = line
    # Half the residents within 4 minutes; the rest may travel any distance.
    tables["services"].loc[0, ["max_travel_min", "required_share"]] = [4.0, 0.5]
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S2"] and plan.result.objective == pytest.approx(80_000)
    acc = plan.services.set_index("service_id").loc["lib"]
    assert acc.share_within_after == pytest.approx(0.5)
    assert acc.max_travel_min_after == pytest.approx(10.0)


def test_incompatible_services_never_share(line, tmp_path):
    tables, make = line
    tables["services"] = pd.concat([tables["services"], pd.DataFrame({
        "service_id": ["prob"], "name": ["Probation"], "space_m2_per_unit": [1.0], "max_travel_min": [6.0],
        "required_share": [1.0], "demand_rate": [0.1]})], ignore_index=True)
    tables["sites"].loc[2, "can_host"] = "lib;prob"
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S3"] and plan.result.objective == pytest.approx(50_000)  # both fit in S3
    tables["services"]["incompatible_with"] = ["prob", ""]
    plan, kept = solve_line(make, tmp_path / "b")
    assert kept == ["S1", "S2", "S3"] and plan.result.objective == pytest.approx(230_000)
    after = plan.sites.set_index("site_id").services_after
    assert after["S3"] == "prob" and after["S1"] == after["S2"] == "lib"


def test_move_cost_and_fit_out(line, tmp_path):
    tables, make = line
    tables["services"]["move_cost_gbp_per_m2"] = 100.0
    plan, kept = solve_line(make, tmp_path)
    assert kept == ["S3"]
    assert plan.kpis["fit_out_m2"] == pytest.approx(200)  # S3 has no library today
    assert plan.kpis["move_cost_gbp"] == pytest.approx(20_000)
    assert plan.result.objective == pytest.approx(50_000 + PHI * 20_000)


def test_savings_target_met_or_explained(line, tmp_path):
    tables, make = line
    tables["services"].loc[0, "max_travel_min"] = 4.0  # S1 and S2 are both needed
    plan, kept = solve_line(make, tmp_path, {"constraints": {"min_annual_saving_gbp": 50_000}})
    assert kept == ["S1", "S2"]
    sc = load_scenario(make({"constraints": {"min_annual_saving_gbp": 60_000}}, name="s2.yaml"))
    with pytest.raises(InfeasibleError, match="savings target"):
        run_scenario(sc, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()  # nothing written for an infeasible scenario


def test_unreachable_zone_is_named(line, tmp_path):
    tables, make = line
    tables["zones"].loc[1, "easting"] = 430000  # 20 km beyond S2
    sc = load_scenario(make())
    with pytest.raises(InfeasibleError, match=r"zones Z2 have no site able to host lib within 6 min"):
        run_scenario(sc, tmp_path / "out")


def test_identical_inputs_give_identical_plans(line, tmp_path):
    _, make = line
    sc = load_scenario(make({"constraints": {"exact_sites": 2}}))
    _, a = run_scenario(sc, tmp_path / "a")
    _, b = run_scenario(sc, tmp_path / "b")
    for name in ("sites.csv", "allocation.csv", "moves.csv", "disposals.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_viable_size_stops_a_service_being_split(line, tmp_path):
    tables, make = line
    tables["sites"]["must_retain"] = ["true", "false", "false"]  # S1 stays for other reasons
    plan, kept = solve_line(make, tmp_path)
    after = plan.sites.set_index("site_id").services_after
    assert kept == ["S1", "S3"] and after["S1"] == "lib" and after["S3"] == "lib"  # 100 residents each
    tables["services"]["min_site_m2"] = 150.0  # S1 reaches only West's 100 residents: too few for a library
    plan, kept = solve_line(make, tmp_path / "b")
    after = plan.sites.set_index("site_id").services_after
    assert kept == ["S1", "S3"] and after["S1"] == "" and after["S3"] == "lib"
    assert plan.result.objective == pytest.approx(150_000)
    tables["services"]["min_site_m2"] = 250.0  # no site can reach 250 residents: nowhere is viable
    with pytest.raises(InfeasibleError, match="less than one viable service point"):
        solve_line(make, tmp_path / "c")
