"""The board pack: report.html, map.html, the PNG maps and charts and plan.xlsx, from a Plan.

``pack_files`` returns the pack as files ready for the atomic writer (the run writes them with
the plan); ``rewrite_pack`` rebuilds them for a written run without re-solving
(``estate-opt report OUT_DIR``), after ``verify`` confirms the plan still matches its inputs.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from estate_opt import charts, maps
from estate_opt.errors import InputError, InputProblem, VerifyError
from estate_opt.plan import Plan, read_table
from estate_opt.report import render_report
from estate_opt.solve import SolveResult, Status
from estate_opt.workbook import write_workbook

PACK = ("report.html", "map.html", "map.png", "access.png", "owners.png", "travel.png", "plan.xlsx")


def _png(draw, *args) -> bytes:
    buf = io.BytesIO()
    draw(*args, buf)
    return buf.getvalue()


def pack_files(plan: Plan, estate, summary: dict) -> dict[str, object]:
    """name -> content (bytes, str or a callable writing to a path) for every file of the pack."""
    images = {"owners": _png(charts.write_owners_png, plan), "travel": _png(charts.write_travel_png, plan, estate)}
    files: dict[str, object] = {"owners.png": images["owners"], "travel.png": images["travel"],
                                "plan.xlsx": lambda p: write_workbook(plan, summary, p)}
    if plan.programme is not None:
        images["programme"] = _png(charts.write_programme_png, plan)
        images["cashflow"] = _png(charts.write_cashflow_png, plan)
        files.update({"programme.png": images["programme"], "cashflow.png": images["cashflow"]})
    if estate.has_locations:
        images["map"] = _png(maps.write_map_png, plan, estate)
        images["access"] = _png(maps.write_access_png, plan, estate)
        files.update({"map.png": images["map"], "access.png": images["access"],
                      "map.html": lambda p: maps.write_map_html(plan, estate, p)})
    files["report.html"] = render_report(plan, summary, images)
    return files


def load_plan(out_dir: str | Path):
    """A written run as (Plan, Estate, summary), its inputs reloaded and checked unchanged."""
    plan, estate, summary, _ = _load(out_dir)
    return plan, estate, summary


def load_single_period_plan(out_dir: str | Path, solver_overrides: dict | None = None):
    """(plan, estate, summary, scenario) of a written single-period run, for analyses that re-solve it."""
    plan, estate, summary, scenario = _load(out_dir)
    if plan.programme is not None:
        raise InputError(InputProblem(str(out_dir), "this is a phased plan (a programme); this analysis answers "
                                      "single-period plans", "run the scenario without phasing: and analyse that run"))
    for k, v in (solver_overrides or {}).items():
        setattr(scenario.solver, k, v)
    return plan, estate, summary, scenario


def _load(out_dir: str | Path):
    from estate_opt.verify import check_run

    out = Path(out_dir)
    report, summary, scenario, estate = check_run(out)
    if not report.ok:
        raise VerifyError(f"{out} no longer matches its inputs, so a report would mislead:\n" + report.text()
                          + "\nRe-run the scenario.")
    result = SolveResult(Status(summary["status"]), summary["solver"], summary.get("solver_version", ""),
                         summary.get("objective"), summary.get("bound"), summary.get("gap"),
                         summary.get("solve_seconds", 0.0), summary.get("time_limit_s"), summary.get("gap_tolerance"),
                         summary.get("solver_message", ""))
    access = read_table(out, "access.csv")
    zones = read_table(out, "zone_access.csv")
    plan = Plan(scenario=summary["scenario"], result=result, sites=read_table(out, "sites.csv"),
                disposals=read_table(out, "disposals.csv"), moves=read_table(out, "moves.csv"),
                allocation=read_table(out, "allocation.csv"), kpis=summary["kpis"], services=access,
                owners=read_table(out, "owners.csv"), zones=zones,
                assumptions=pd.read_csv(out / "assumptions.csv", dtype=str, keep_default_na=False)
                if (out / "assumptions.csv").exists() else None)
    plan.meta = plan_meta(scenario, estate)
    if (out / "programme.csv").exists():  # a phased plan
        plan.programme = read_table(out, "programme.csv")
        plan.cashflow = read_table(out, "cashflow.csv")
        plan.cashflow_owners = read_table(out, "cashflow_owners.csv")
    for extra in ("keep_costs", "sensitivity"):  # analyses run on the plan afterwards
        if (out / f"{extra}.csv").exists():
            plan.meta[extra] = read_table(out, f"{extra}.csv")
    return plan, estate, summary, scenario


def plan_meta(scenario, estate) -> dict:
    """What maps and reports need beyond the plan's tables."""
    names = estate.zones["name"] if "name" in estate.zones else pd.Series(dtype=str)
    return {"attribution": scenario.attribution, "zone_names": {z: n for z, n in names.items() if n}}


def rewrite_pack(out_dir: str | Path) -> list[str]:
    """Regenerate the pack of a written run in place, each file written atomically."""
    from estate_opt.writers import replace_files

    plan, estate, summary = load_plan(out_dir)
    return replace_files(Path(out_dir), pack_files(plan, estate, summary))
