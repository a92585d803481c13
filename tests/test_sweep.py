"""``estate-opt sweep`` on a real local Dask cluster: results as they finish, failures kept apart, reruns skip."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import line_tables, write_scenario

from estate_opt.analysis.sweep import Job, jobs_for, sweep
from estate_opt.cli import main
from estate_opt.results.verify import verify_run

pytest.importorskip("dask.distributed")


@pytest.fixture
def three(tmp_path):
    """Two solvable line-estate scenarios and one with a travel standard no site can meet."""
    tables = line_tables()
    ok6 = write_scenario(tmp_path / "in", tables, {"name": "six"}, "six.yaml")
    ok4 = write_scenario(tmp_path / "in", tables, {"name": "four", "services": {"lib": {"max_travel_min": 4}}},
                         "four.yaml")
    tables["sites"].loc[:, "can_host"] = ""  # nothing can host the library
    tables["occupation"] = tables["occupation"].iloc[0:0]
    bad = write_scenario(tmp_path / "bad", tables, {"name": "none"}, "none.yaml")
    return [ok6, ok4, bad]


@pytest.mark.slow
def test_sweep_writes_each_plan_reports_failures_and_skips_on_rerun(three, tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", *map(str, three), "--out", str(out), "--workers", "2", "--no-pack", "-q"])
    assert code == 6  # one job failed, the others landed
    index = pd.read_csv(out / "sweep.csv").set_index("job")
    assert list(index.outcome) == ["solved", "solved", "failed"]
    assert "none" in capsys.readouterr().err
    assert not (out / "none" / "summary.json").exists()
    # Hand-checked optima: within 6 minutes the middle hall serves both ends (£50,000/yr); within 4
    # minutes only the two end houses do (£180,000/yr).
    assert index.loc["six", "objective_gbp_per_yr"] == pytest.approx(50000)
    assert index.loc["six", "sites_kept"] == 1
    assert index.loc["four", "objective_gbp_per_yr"] == pytest.approx(180000)
    for job in ("six", "four"):
        assert verify_run(out / job).ok

    stamp = (out / "six" / "summary.json").stat().st_mtime_ns
    main(["sweep", *map(str, three[:2]), "--out", str(out), "--workers", "1", "--no-pack", "-q"])
    again = pd.read_csv(out / "sweep.csv").set_index("job")
    assert list(again.outcome) == ["skipped", "skipped"]
    assert (out / "six" / "summary.json").stat().st_mtime_ns == stamp

    # An edited input makes its job current no more: only it is solved again.
    sites = pd.read_csv(three[0].parent / "sites.csv")
    sites.loc[sites.site_id == "S3", "running_cost_gbp"] = 60000
    sites.to_csv(three[0].parent / "sites.csv", index=False)
    main(["sweep", *map(str, three[:2]), "--out", str(out), "--workers", "1", "--no-pack", "-q"])
    third = pd.read_csv(out / "sweep.csv").set_index("job")
    assert list(third.outcome) == ["solved", "solved"]  # both read the edited sites.csv
    assert third.loc["six", "objective_gbp_per_yr"] == pytest.approx(60000)
    assert third.loc["four", "objective_gbp_per_yr"] == pytest.approx(180000)


def test_one_scenario_over_many_areas_on_a_given_scheduler(tmp_path):
    from dask.distributed import LocalCluster

    base = write_scenario(tmp_path / "base", line_tables(), {"name": "line"}, "line.yaml")
    dear = line_tables()
    dear["sites"].loc[:, "running_cost_gbp"] = [100000, 80000, 500000]  # the middle hall is dear here
    write_scenario(tmp_path / "areas" / "dear", dear)
    write_scenario(tmp_path / "areas" / "cheap", line_tables(), {"services": {"lib": {"max_travel_min": 4}}})
    (tmp_path / "areas" / "empty").mkdir()
    jobs = jobs_for([base], [tmp_path / "areas" / a for a in ("dear", "cheap", "empty")])
    assert [j.label for j in jobs] == ["line--dear", "line--cheap", "line--empty"]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        table = sweep(jobs, tmp_path / "out", scheduler=cluster.scheduler_address, pack=False).set_index("job")
    # The scenario's settings (6-minute standard) apply to every area's own files.
    assert table.loc["line--dear", "objective_gbp_per_yr"] == pytest.approx(180000)
    assert table.loc["line--cheap", "objective_gbp_per_yr"] == pytest.approx(50000)  # the area's yaml is not read
    assert table.loc["line--empty", "outcome"] == "failed"
    assert "lacks sites.csv" in table.loc["line--empty", "message"]
    summary = json.loads((tmp_path / "out" / "line--dear" / "summary.json").read_text())
    assert summary["inputs"]["sites"]["path"].endswith("dear/sites.csv")


def test_job_labels_must_not_collide(tmp_path):
    a = write_scenario(tmp_path / "a", line_tables(), name="s.yaml")
    b = write_scenario(tmp_path / "b", line_tables(), name="s.yaml")
    with pytest.raises(Exception, match="both write to 's'"):
        jobs_for([a, b])
    assert Job(a).label == "s"
