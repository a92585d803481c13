"""Run many scenarios, or one scenario over many areas, in parallel on Dask.

Each job is one scenario (``trafford-strict``) or one scenario applied to one area's folder
(``trafford--rutland``: the scenario's input files, by file name, taken from that folder). Jobs
run on a Dask cluster: a local one by default (one single-threaded worker process per core), or
an existing scheduler given by address; in that case every worker must see the same file paths
(a shared file system), since jobs read their inputs and write their runs by path.

Each plan is written to ``OUT/<job>/`` by the worker as soon as it is solved (atomically, like
``estate-opt run``), and ``OUT/sweep.csv`` is rewritten after every job, so an interrupted sweep
loses only the jobs still running. A failed job (bad input, infeasible, solver failure) is a row
with its message; the others carry on. A rerun skips every job whose folder holds a complete
run made from the same settings and the same input files (by SHA-256).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from estate_opt.errors import EstateOptError, InputError, InputProblem

COLUMNS = ["job", "scenario", "area", "outcome", "status", "gap", "objective_gbp_per_yr",
           "annual_equivalent_saving_gbp", "sites_kept", "sites_disposed", "seconds", "folder", "message"]
OPTIONAL_PER_AREA = (("inputs", "boundaries"), ("inputs", "assumptions"))  # maps and assumptions may be absent


@dataclass(frozen=True)
class Job:
    scenario: Path
    area: Path | None = None

    @property
    def label(self) -> str:
        return self.scenario.stem + (f"--{self.area.name}" if self.area is not None else "")


def jobs_for(scenarios: list[Path], areas: list[Path] | None = None) -> list[Job]:
    """Every scenario, or every scenario over every area; labels must be unique (they name folders)."""
    jobs = [Job(Path(s).resolve(), Path(a).resolve()) for s in scenarios for a in areas] if areas else \
        [Job(Path(s).resolve()) for s in scenarios]
    seen: dict[str, Job] = {}
    for j in jobs:
        if j.label in seen:
            raise InputError(InputProblem("sweep", f"two jobs would both write to '{j.label}' "
                                          f"({seen[j.label].scenario} and {j.scenario})",
                                          "give scenarios and areas distinct file and folder names"))
        seen[j.label] = j
    return jobs


def scenario_for(job: Job, overrides: dict | None = None):
    """The job's scenario: its own inputs, or the same file names read from the area's folder.

    Every file the scenario names is re-pointed (``inputs.*`` and ``travel.network``). An area may
    lack the boundaries, the assumptions, and a road network its travel method does not use.
    """
    from estate_opt.inputs.scenario import FILE_SETTINGS, load_scenario

    sc = load_scenario(job.scenario)
    if job.area is not None:
        if not job.area.is_dir():
            raise InputError(InputProblem(str(job.area), "the area folder does not exist",
                                          "give folders holding the scenario's input files by name"))
        missing = []
        for section, key in FILE_SETTINGS:
            part = getattr(sc, section)
            path = getattr(part, key)
            if path is None:
                continue
            there = job.area / Path(path).name
            optional = (section, key) in OPTIONAL_PER_AREA or \
                ((section, key) == ("travel", "network") and sc.travel.method != "network")
            if there.exists():
                setattr(part, key, there)
            elif optional:
                setattr(part, key, None)
            else:
                missing.append(there.name)
        if missing:
            raise InputError(InputProblem(str(job.area), f"the area folder lacks {', '.join(missing)}",
                                          f"every area needs the files the scenario {job.scenario.name} reads"))
        sc.name = f"{sc.name} — {job.area.name}"
    sc.solver.override(overrides)
    return sc


def current_summary(folder: Path, scenario) -> dict | None:
    """The summary of the complete run in ``folder`` if it has these settings and these input files, else None."""
    from estate_opt.inputs.readers import file_hash
    from estate_opt.results.folder import same_settings

    try:
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    if not same_settings(summary, scenario):
        return None
    for table, src in summary.get("inputs", {}).items():
        path = getattr(scenario.inputs, table, None)
        if path is None or not Path(path).exists() or file_hash(path) != src.get("sha256"):
            return None
    return summary


def run_job(job: Job, out: Path, overrides: dict | None = None, pack: bool = True) -> dict:
    """Solve one job and write its run (in a worker); always return a row, never raise."""
    from estate_opt.model.solve import Status
    from estate_opt.run import run_scenario

    t0 = time.perf_counter()
    row = {"job": job.label, "scenario": str(job.scenario), "area": str(job.area or ""),
           "folder": str(out / job.label)}
    try:
        sc = scenario_for(job, overrides)
        plan, _ = run_scenario(sc, out / job.label, overwrite=True, pack=pack)
        k, r = plan.kpis, plan.result
        row.update(outcome="solved", status=r.status.value, gap=r.gap, objective_gbp_per_yr=r.objective,
                   annual_equivalent_saving_gbp=k["annual_equivalent_saving_gbp"], sites_kept=k["sites_after"],
                   sites_disposed=k["sites_disposed"], message="" if r.status == Status.OPTIMAL else
                   f"not proven optimal: {r.message}")
    except EstateOptError as e:
        row.update(outcome="failed", message=f"{type(e).__name__}: {e}")
    except Exception as e:  # noqa: BLE001 - one job's crash must not lose the others
        row.update(outcome="failed", message=f"unexpected {type(e).__name__}: {e}")
    row["seconds"] = round(time.perf_counter() - t0, 2)
    return row


def _skipped(job: Job, out: Path, overrides: dict | None) -> dict | None:
    """A row for a job whose run is already current, or None when it must be solved."""
    try:
        sc = scenario_for(job, overrides)
    except EstateOptError:
        return None  # let the worker report it as a failure
    folder = out / job.label
    s = current_summary(folder, sc)
    if s is None:
        return None
    k = s["kpis"]
    return {"job": job.label, "scenario": str(job.scenario), "area": str(job.area or ""), "outcome": "skipped",
            "status": s["status"], "gap": s["gap"], "objective_gbp_per_yr": s["objective"],
            "annual_equivalent_saving_gbp": k["annual_equivalent_saving_gbp"], "sites_kept": k["sites_after"],
            "sites_disposed": k["sites_disposed"], "seconds": 0.0, "folder": str(folder),
            "message": "already done with the same settings and inputs"}


def sweep(jobs: list[Job], out: Path, *, scheduler: str | None = None, workers: int | None = None,
          overrides: dict | None = None, pack: bool = True, force: bool = False,
          progress=lambda m: None) -> pd.DataFrame:
    """Run ``jobs`` on Dask, writing each run and the index ``out/sweep.csv`` as results arrive."""
    from dask.distributed import Client, LocalCluster, as_completed

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict] = {}
    todo = []
    for job in jobs:
        done = None if force else _skipped(job, out, overrides)
        if done:
            rows[job.label] = done
            progress(f"{job.label}: skipped (already done)")
        else:
            todo.append(job)
    _write_index(out, jobs, rows)
    if not todo:
        return _table(jobs, rows)
    cluster = None
    if scheduler:
        progress(f"connecting to the Dask scheduler at {scheduler}")
        client = Client(scheduler, timeout="30s")
    else:
        n = workers or min(len(todo), os.cpu_count() or 1)
        progress(f"starting a local Dask cluster of {n} worker process(es)")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {client.submit(run_job, job, out, overrides, pack, key=f"estate-opt-{job.label}-{time.time_ns()}",
                                 pure=False): job for job in todo}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001 - a lost worker: report it, keep the rest
                row = {"job": job.label, "scenario": str(job.scenario), "area": str(job.area or ""),
                       "outcome": "failed", "folder": str(out / job.label),
                       "message": f"the worker failed: {type(e).__name__}: {e}"}
            rows[job.label] = row
            _write_index(out, jobs, rows)
            progress(f"{job.label}: {row['outcome']}" + (f" ({row.get('status')}, {row['seconds']:.1f} s)"
                                                         if row["outcome"] == "solved" else f": {row['message']}"))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return _table(jobs, rows)


def _table(jobs: list[Job], rows: dict[str, dict]) -> pd.DataFrame:
    listed = [rows.get(j.label, {"job": j.label, "scenario": str(j.scenario), "area": str(j.area or ""),
                                 "outcome": "pending"}) for j in jobs]
    return pd.DataFrame(listed).reindex(columns=COLUMNS)


def _write_index(out: Path, jobs: list[Job], rows: dict[str, dict]) -> None:
    """sweep.csv, replaced atomically so a reader never sees half a file."""
    tmp = out / f".sweep.csv.partial-{os.getpid()}"
    _table(jobs, rows).to_csv(tmp, index=False)
    os.replace(tmp, out / "sweep.csv")
