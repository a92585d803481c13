"""A run folder: writing a plan's files into it atomically, and loading a written run back.

Files go to a hidden sibling folder first and the folder is renamed into place only when every
file is written, so an interrupted run never leaves a folder that looks complete. A run never
writes over an input, into a folder holding other files, or over another run unless told to.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from estate_opt._version import __version__
from estate_opt.errors import InputError, InputProblem, OutputError, VerifyError
from estate_opt.model.solve import SolveResult, Status
from estate_opt.results.plan import Plan, read_table
from estate_opt.results.verify import check_run

RUN_MARKER = "summary.json"  # a folder holding this is an estate_opt run


def check_out_dir(out: Path, inputs: list[Path], overwrite: bool) -> Path:
    """Refuse folders that would lose something; return the resolved folder."""
    out = Path(out).resolve()
    for p in inputs:
        p = Path(p).resolve()
        if p == out or out in p.parents:
            raise OutputError(f"the output folder {out} holds the input {p}; choose another --out folder")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out} is a file, not a folder; choose another --out folder")
        contents = [c for c in out.iterdir()]
        if contents and not (out / RUN_MARKER).exists():
            raise OutputError(f"{out} holds other files ({contents[0].name}, ...); choose an empty or new --out folder")
        if contents and not overwrite:
            raise OutputError(f"{out} holds a previous run; pass --overwrite to replace it, or choose another --out")
    return out


def write_run(out: Path, files: dict[str, object]) -> Path:
    """Write ``files`` (name -> DataFrame, dict, str, bytes or a callable writing to a path) atomically."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        # summary.json last: its presence marks a complete run.
        for name in sorted(files, key=lambda n: n == RUN_MARKER):
            _write_one(tmp / name, files[name])
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def replace_files(out: Path, files: dict[str, object]) -> list[str]:
    """Add or replace files in an existing run folder, each written to a temporary name and renamed."""
    out = Path(out)
    for name, content in files.items():
        tmp = out / f".{name}.tmp-{os.getpid()}"
        try:
            _write_one(tmp, content)
            os.replace(tmp, out / name)
        finally:
            tmp.unlink(missing_ok=True)
    return list(files)


def _write_one(path: Path, content) -> None:
    if isinstance(content, pd.DataFrame):
        content.to_csv(path, index=False, lineterminator="\n")
    elif isinstance(content, (dict, list)):
        path.write_text(json.dumps(_jsonable(content), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif callable(content):
        content(path)
    else:
        raise TypeError(f"cannot write {type(content)} to {path.name}")


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (Path, dt.date)):
        return str(v)
    return v


def same_settings(summary: dict, scenario) -> bool:
    """True when a run's recorded settings are the scenario's (its own file path aside)."""
    now = json.loads(json.dumps(scenario.to_dict()))
    return {k: v for k, v in summary.get("settings", {}).items() if k != "path"} == \
        {k: v for k, v in now.items() if k != "path"}


def versions() -> dict:
    def ver(mod):
        try:
            from importlib.metadata import version

            return version(mod)
        except Exception:  # noqa: BLE001 - a version that cannot be read is recorded as blank
            return ""

    return {"estate_opt": __version__, "python": platform.python_version(), "pulp": ver("pulp"),
            "highspy": ver("highspy"), "pandas": ver("pandas"), "platform": platform.platform()}


def summary(plan: Plan, scenario_dict: dict, sources: dict, travel: str, timings: dict) -> dict:
    """summary.json: status, gap, objective, KPIs, assumptions, input hashes, settings, versions."""
    r = plan.result
    assumptions = [] if plan.assumptions is None else plan.assumptions.to_dict(orient="records")
    return {
        "scenario": plan.scenario,
        "status": r.status.value,
        "proven_optimal": r.status is Status.OPTIMAL,
        "gap": r.gap, "gap_abs": r.gap_abs, "gap_tolerance": r.gap_tolerance, "objective": r.objective,
        "bound": r.bound,
        "solver": r.solver, "solver_version": r.solver_version, "solver_message": r.message,
        "solve_seconds": r.seconds, "time_limit_s": r.time_limit_s,
        "kpis": plan.kpis,
        "services": plan.services.to_dict(orient="records"),
        "owners": plan.owners.to_dict(orient="records"),
        "travel": travel,
        "assumptions": assumptions,
        "inputs": sources,
        "settings": scenario_dict,
        "timings_s": timings,
        "versions": versions(),
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


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
    scenario.solver.override(solver_overrides)
    return plan, estate, summary, scenario


def _load(out_dir: str | Path):
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
