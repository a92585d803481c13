"""Phasing: the year-by-year programme on small estates whose answers can be worked out by hand.

The line estate (tests/conftest.py) with receipts and backlog: S1 West House (£100,000/yr, value
£500,000, backlog £20,000), S2 East House (£80,000/yr, £400,000), S3 Middle Hall (£50,000/yr,
£100,000, backlog £30,000). Within the 6-minute standard the optimum keeps only S3, which the
library moves into (200 m² for 200 residents at 1 m² each).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import line_tables, write_scenario
from openpyxl import load_workbook

from estate_opt.cli import main
from estate_opt.inputs.orlib import to_files
from estate_opt.inputs.scenario import annuity_factor, load_scenario
from estate_opt.inputs.synthetic import generate
from estate_opt.results.verify import verify_run
from estate_opt.run import run_scenario

R, A = 0.035, 30
PHI = annuity_factor(R, A)
PA = 1 / PHI  # present value of £1 a year for the appraisal period


def df(t):
    return (1 + R) ** -t


def run_pv(t):  # running cost of years 0..t-1, paid at each year's end
    return sum(df(u) for u in range(1, t + 1))


def tables(lease_end=""):
    t = line_tables()
    t["sites"]["disposal_value_gbp"] = [500_000, 400_000, 100_000]
    t["sites"]["backlog_gbp"] = [20_000, 0, 30_000]
    t["sites"]["tenure"] = ["freehold", "leasehold" if lease_end else "freehold", "freehold"]
    t["sites"]["lease_end"] = ["", lease_end, ""]
    return t


def solve(tmp_path, t, phasing=None, name="run", **settings):
    extra = {"phasing": {"start_year": 2027, **phasing}} if phasing else {}
    sc = load_scenario(write_scenario(tmp_path / "in", t, {**extra, **settings}))
    plan, folder = run_scenario(sc, tmp_path / name, pack=False)
    return plan, folder


def years_of(plan) -> dict:
    p = plan.programme
    return {(a, s, k): int(y) for a, s, k, y in zip(p.action, p.site_id, p.service_id, p.calendar_year)}


def test_one_year_programme_is_the_single_period_plan(tmp_path):
    single, _ = solve(tmp_path, tables(), name="single")
    one, folder = solve(tmp_path, tables(), {"horizon_years": 1}, name="one")
    assert list(one.sites.decision) == list(single.sites.decision) == ["dispose", "dispose", "retain"]
    assert one.result.objective * PHI == pytest.approx(single.result.objective, rel=1e-9)
    assert one.kpis["npv_saving_gbp"] * PHI == pytest.approx(single.kpis["annual_equivalent_saving_gbp"], rel=1e-9)
    assert set(one.programme.calendar_year) == {2027}
    assert verify_run(folder).ok


@pytest.mark.slow
def test_one_year_programme_matches_on_a_synthetic_area_with_moves(tmp_path):
    raw, sc = generate(25, 60, 4, 5)
    path = to_files(raw, sc, tmp_path / "in")
    single = load_scenario(path)
    phased = load_scenario(path)
    phased.phasing.horizon_years, phased.phasing.start_year = 1, 2027
    a, _ = run_scenario(single, tmp_path / "a", pack=False)
    b, folder = run_scenario(phased, tmp_path / "b", pack=False)
    assert a.result.status.value == b.result.status.value == "optimal"
    assert b.result.objective * PHI == pytest.approx(a.result.objective, rel=1e-6)
    assert (b.programme.action == "move in").any()  # the area really moves services
    assert verify_run(folder).ok


def test_a_lease_holds_its_building_until_it_ends(tmp_path):
    plan, folder = solve(tmp_path, tables("2029-06-30"), {"horizon_years": 5})
    y = years_of(plan)
    assert y[("dispose", "S1", "")] == 2027  # freehold: at once
    assert y[("dispose", "S2", "")] == 2030  # leasehold: the first year after its lease ends
    assert y[("move in", "S3", "lib")] == 2027  # before either end house goes
    expected = (50_000 * PA + 30_000  # S3 kept: running for the appraisal period, backlog cleared now
                - 500_000  # S1 sold in year 0
                + 80_000 * run_pv(3) - 400_000 * df(3))  # S2 runs 2027-2029, sold at the start of 2030
    assert plan.result.objective == pytest.approx(expected, rel=1e-9)
    cash = plan.cashflow.set_index("calendar_year")
    assert cash.loc[2029, "running_saving_gbp"] == 100_000 and cash.loc[2030, "running_saving_gbp"] == 180_000
    assert cash.loc[2030, "receipts_gbp"] == 400_000
    assert verify_run(folder).ok


def test_a_yearly_budget_delays_the_move_and_so_the_sales(tmp_path):
    t = tables()
    t["services"]["move_cost_gbp_per_m2"] = 500  # 200 m² at Middle Hall: £100,000 of fit-out
    plan, folder = solve(tmp_path, t, {"horizon_years": 4, "capital_budget_gbp": [60_000, 200_000]})
    y = years_of(plan)
    # Year 0 holds £60,000: Middle Hall's £30,000 backlog fits, its £100,000 fit-out does not.
    assert y[("clear backlog", "S3", "")] == 2027 and y[("move in", "S3", "lib")] == 2028
    assert y[("dispose", "S1", "")] == y[("dispose", "S2", "")] == 2028  # not before the library has moved
    spend = plan.programme.groupby("calendar_year").cost_gbp.sum()
    assert spend[2027] == 30_000 and spend[2028] == pytest.approx(100_000)
    assert verify_run(folder).ok


def test_a_savings_target_a_lease_forbids_is_explained(tmp_path, capsys):
    path = write_scenario(tmp_path / "in", tables("2029-06-30"), {"phasing": {
        "horizon_years": 5, "start_year": 2027, "min_annual_saving_gbp": [180_000]}})
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "-q"]) == 3
    err = capsys.readouterr().err
    assert "programme year 0: the savings target can be met only to within £80,000/yr" in err


def test_a_must_go_lease_beyond_the_horizon_is_refused(tmp_path, capsys):
    t = tables("2040-03-31")
    t["sites"]["must_dispose"] = ["false", "true", "false"]
    path = write_scenario(tmp_path / "in", t, {"phasing": {"horizon_years": 5, "start_year": 2027}})
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "-q"]) == 3
    assert "leases running past the programme's last year 2031: S2 (2040-03-31)" in capsys.readouterr().err


def test_verify_catches_a_programme_edited_by_hand(tmp_path, capsys):
    _, folder = solve(tmp_path, tables("2029-06-30"), {"horizon_years": 5})
    prog = pd.read_csv(folder / "programme.csv")
    prog.loc[prog.site_id.eq("S2") & prog.action.eq("dispose"), ["year", "calendar_year"]] = [1, 2028]
    prog.to_csv(folder / "programme.csv", index=False)
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAIL leaseholds are released only at or after their lease end" in out
    assert "FAIL cashflow.csv recomputes from the programme" in out


def test_the_pack_shows_the_programme(tmp_path):
    path = write_scenario(tmp_path / "in", tables("2029-06-30"), {"phasing": {"horizon_years": 5,
                                                                             "start_year": 2027}})
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "-q"]) == 0
    for name in ("programme.csv", "cashflow.csv", "cashflow_owners.csv", "programme.png", "cashflow.png"):
        assert (out / name).stat().st_size > 0
    prog = pd.read_csv(out / "programme.csv")
    html = (out / "report.html").read_text()
    body = html.split('id="programme-table"')[1].split("</table>")[0]
    assert body.count("<tr>") - 1 == len(prog)  # one header row
    assert "pays back in 2027" in html and "East House" in body
    wb = load_workbook(out / "plan.xlsx", read_only=True)
    rows = list(wb["Programme"].values)
    assert len(rows) - 1 == len(prog) and rows[0][:3] == ("Programme year (0 = first)", "Year", "Action")
    assert [r[8] for r in rows[1:]] == list(prog.cost_gbp)  # figures equal the CSV
    assert "Cash flow" in wb.sheetnames and "Cash flow by owner" in wb.sheetnames
    assert main(["report", str(out)]) == 0  # regenerated from the written plan
    assert main(["verify", str(out)]) == 0


def test_single_period_analyses_refuse_a_programme_with_the_fix(tmp_path, capsys):
    _, folder = solve(tmp_path, tables(), {"horizon_years": 2})
    for args in (["keep-cost", str(folder)], ["sensitivity", str(folder), "--draws", "2"]):
        assert main(args) == 2
        assert "this is a phased plan" in capsys.readouterr().err


def test_the_programme_reads_in_a_real_browser(tmp_path):
    from browser import chromium, console_errors, full_page_screenshot

    path = write_scenario(tmp_path / "in", tables("2029-06-30"), {"phasing": {"horizon_years": 5,
                                                                             "start_year": 2027}})
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "-q"]) == 0
    prog = pd.read_csv(out / "programme.csv")
    with chromium() as browser:
        browser.get((out / "report.html").as_uri())
        rows = browser.execute_script("return document.querySelectorAll('#programme-table tbody tr').length")
        cash = browser.execute_script("return document.querySelectorAll('#cashflow-table tbody tr').length")
        assert rows == len(prog) and cash == 5
        assert not console_errors(browser)
        full_page_screenshot(browser, tmp_path / "programme-report.png")
    assert (tmp_path / "programme-report.png").stat().st_size > 10_000


def test_a_programme_without_a_start_year_records_the_one_it_used(tmp_path):
    import datetime as dt
    import json

    sc = load_scenario(write_scenario(tmp_path / "in", tables(), {"phasing": {"horizon_years": 2}}))
    _, folder = run_scenario(sc, tmp_path / "run", pack=False)
    settings = json.loads((folder / "summary.json").read_text())["settings"]
    assert settings["phasing"]["start_year"] == dt.date.today().year
    assert verify_run(folder).ok
