"""Infeasibility explained: requirements each possible alone but not together, found by an elastic re-solve."""

from __future__ import annotations

from estate_opt.cli import main


def run_err(make, tmp_path, capsys, settings) -> str:
    assert main(["run", str(make(settings)), "--out", str(tmp_path / "run"), "-q"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and not (tmp_path / "run").exists()
    return err


def test_too_few_sites_for_the_standard_names_who_is_left_out(line, tmp_path, capsys):
    # Within 4 minutes each end needs its own house; one site cannot serve both.
    _, make = line
    err = run_err(make, tmp_path, capsys, {"services": {"lib": {"max_travel_min": 4}},
                                           "constraints": {"max_sites": 1}})
    assert "lib: zones Z" in err and "(100 residents) cannot be served" in err and "constraints.max_sites = 1" in err


def test_missing_floor_area_is_measured(line, tmp_path, capsys):
    # One site allowed; only the middle hall reaches both ends in 6 minutes, but it has 150 of the 200 m² needed.
    tables, make = line
    tables["sites"].loc[2, "floor_area_m2"] = 150
    err = run_err(make, tmp_path, capsys, {"constraints": {"max_sites": 1}})
    assert "site S3 (Middle Hall) would need 50 m² more floor area than its 150 m²" in err


def test_a_budget_short_of_what_the_standard_needs(line, tmp_path, capsys):
    # Within 4 minutes both end houses must stay, and their backlog (£300,000) exceeds the budget by £100,000.
    tables, make = line
    tables["sites"]["backlog_gbp"] = [150_000, 150_000, 0]
    err = run_err(make, tmp_path, capsys, {"services": {"lib": {"max_travel_min": 4}},
                                           "constraints": {"capital_budget_gbp": 200_000}})
    assert "the capital budget £200,000 is £100,000 short" in err


def test_a_savings_target_the_standard_forbids(line, tmp_path, capsys):
    # Within 4 minutes S1 and S2 stay, so only S3's £50,000/yr can be saved, £30,000 short of the target.
    _, make = line
    err = run_err(make, tmp_path, capsys, {"services": {"lib": {"max_travel_min": 4}},
                                           "constraints": {"min_annual_saving_gbp": 80_000}})
    assert "the savings target £80,000/yr can be met only to within £30,000/yr" in err
