"""The command line as a user meets it: run, validate, verify, and what each exit code means."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ORLIB

from estate_opt.cli import main
from estate_opt.errors import (
    EstateOptError,
    InfeasibleError,
    InputError,
    InputProblem,
    OutputError,
    SolverError,
    VerifyError,
)
from estate_opt.inputs.network import RoadNetworkError
from estate_opt.inputs.orlib import read_cap, to_files


def test_run_writes_every_output_and_verify_passes(line, tmp_path, capsys):
    _, make = line
    out = tmp_path / "run"
    assert main(["run", str(make()), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "OPTIMAL" in captured.out and "sites kept 1 of 3" in captured.out
    assert "solving with highs" in captured.err  # progress on stderr
    for name in ("sites.csv", "disposals.csv", "moves.csv", "allocation.csv", "summary.json", "map.html",
                 "map.png", "plan.gpkg", "access.csv", "owners.csv", "scenario.yaml"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["gap"] == 0.0 and summary["proven_optimal"]
    assert summary["gap_abs"] == 0.0 and "within £0/yr (0.0000%) of the best possible plan" in captured.out
    assert set(summary["inputs"]) == {"sites", "services", "zones", "occupation"}
    assert all(len(v["sha256"]) == 64 for v in summary["inputs"].values())
    assert summary["versions"]["pulp"] and summary["settings"]["solver"]["name"] == "highs"
    assert main(["verify", str(out)]) == 0
    assert "checks passed" in capsys.readouterr().out


def test_verify_catches_an_edited_plan(line, tmp_path, capsys):
    _, make = line
    out = tmp_path / "run"
    assert main(["run", str(make()), "--out", str(out), "-q"]) == 0
    alloc = pd.read_csv(out / "allocation.csv")
    alloc.loc[0, "demand"] = alloc.loc[0, "demand"] * 0.5  # someone "fixes" a figure by hand
    alloc.to_csv(out / "allocation.csv", index=False)
    capsys.readouterr()
    assert main(["verify", str(out)]) == 1
    out_text = capsys.readouterr().out
    assert "FAIL every zone's demand is fully served" in out_text


def test_verify_catches_changed_inputs(line, tmp_path, capsys):
    tables, make = line
    path = make()
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "-q"]) == 0
    tables["sites"].loc[0, "running_cost_gbp"] = 1
    make()
    assert main(["verify", str(out)]) == 1
    assert "FAIL input sites unchanged" in capsys.readouterr().out


def test_a_second_run_refuses_to_overwrite(line, tmp_path, capsys):
    _, make = line
    out = tmp_path / "run"
    assert main(["run", str(make()), "--out", str(out), "-q"]) == 0
    assert main(["run", str(make()), "--out", str(out), "-q"]) == 2
    assert "holds a previous run; pass --overwrite" in capsys.readouterr().err
    assert main(["run", str(make()), "--out", str(out), "-q", "--overwrite"]) == 0
    assert not list(tmp_path.glob(".run.*"))  # no partial or old folders left behind


def test_run_never_writes_over_inputs(line, tmp_path, capsys):
    _, make = line
    path = make()
    assert main(["run", str(path), "--out", str(path.parent), "-q"]) == 2
    assert "holds the input" in capsys.readouterr().err
    other = tmp_path / "notes"
    other.mkdir()
    (other / "minutes.docx").write_text("board minutes")
    assert main(["run", str(path), "--out", str(other), "-q"]) == 2
    assert "holds other files" in capsys.readouterr().err
    assert (other / "minutes.docx").read_text() == "board minutes"


def test_infeasible_scenario_exits_3_and_says_why(line, tmp_path, capsys):
    tables, make = line
    tables["sites"]["must_dispose"] = ["true", "false", "true"]
    tables["services"].loc[0, "max_travel_min"] = 4.0
    assert main(["run", str(make()), "--out", str(tmp_path / "run"), "-q"]) == 3
    err = capsys.readouterr().err
    assert "zones Z1 have no site able to host lib within 4 min" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_validate_reports_the_estate(line, capsys):
    _, make = line
    assert main(["validate", str(make())]) == 0
    out = capsys.readouterr().out
    assert "inputs are valid" in out and "3 sites" in out and "2 zones" in out


def test_time_limited_plan_is_not_called_optimal(tmp_path, capsys):
    raw, sc = read_cap(ORLIB / "cap" / "capa.txt", capacity=8000)
    scenario = to_files(raw, sc, tmp_path / "capa")
    code = main(["run", str(scenario), "--out", str(tmp_path / "run"), "--time-limit", "2", "-q", "--no-pack"])
    captured = capsys.readouterr()
    if code == 5:  # no incumbent within 2 s: nothing written, a clear message
        assert "found no plan" in captured.err and not (tmp_path / "run").exists()
        return
    assert code == 4
    assert "NOT proven optimal" in captured.err and "FEASIBLE" in captured.out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "feasible" and not summary["proven_optimal"] and summary["gap"] > 1e-3
    gap_abs = summary["objective"] - summary["bound"]  # the gap in money, as the board reads it
    assert summary["gap_abs"] == pytest.approx(gap_abs) and f"within £{gap_abs:,.0f}/yr" in captured.out


def test_cbc_time_limit_is_honest(tmp_path, capsys):
    raw, sc = read_cap(ORLIB / "cap" / "capa.txt", capacity=8000)
    scenario = to_files(raw, sc, tmp_path / "capa")
    code = main(["run", str(scenario), "--out", str(tmp_path / "run"), "--solver", "cbc", "--time-limit", "1",
                 "-q", "--no-pack"])
    captured = capsys.readouterr()
    assert code in (4, 5)
    if code == 5:
        assert "found no plan" in captured.err and "no_solution" in captured.err
    else:
        assert "NOT proven optimal" in captured.err


@pytest.mark.parametrize("args", [["run", "missing.yaml"], ["verify", "no-such-run"], ["validate", "nope.yaml"]])
def test_missing_paths_are_messages(args, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("estate-opt:") and "Traceback" not in err


FOOTWAY_ONLY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" version="1" lat="52.60" lon="-0.70"/>
  <node id="2" version="1" lat="52.61" lon="-0.70"/>
  <node id="3" version="1" lat="52.61" lon="-0.69"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_road_network_with_no_drivable_roads_is_an_input_error(command, line, tmp_path, capsys):
    _, make = line
    osm = tmp_path / "paths.osm"
    osm.write_text(FOOTWAY_ONLY_OSM)
    args = [command, str(make({"travel": {"method": "network", "network": str(osm)}}))]
    out = tmp_path / "run"
    code = main(args + (["--out", str(out), "-q"] if command == "run" else []))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("estate-opt: error: 1 problem with the inputs:") and "Traceback" not in err
    assert f"{osm}: the OSM file contains no drivable roads" in err
    assert "fix: give travel.network an OpenStreetMap extract" in err
    assert not out.exists()


def test_solver_options_override_the_scenario(line, tmp_path, monkeypatch):
    """--solver, --time-limit, --gap, --threads and --solver-log reach the solver; options not given do not."""
    from estate_opt import run as run_module

    _, make = line
    seen = []
    real = run_module.run_scenario

    def spy(sc, *a, **kw):
        seen.append(sc.solver)
        return real(sc, *a, **kw)

    monkeypatch.setattr(run_module, "run_scenario", spy)
    path = make({"solver": {"time_limit_s": 77, "mip_gap": 1e-4, "threads": 3}})
    assert main(["run", str(path), "--out", str(tmp_path / "a"), "-q", "--no-pack"]) == 0
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "-q", "--no-pack", "--solver", "cbc",
                 "--time-limit", "30", "--gap", "0", "--threads", "1", "--solver-log"]) == 0
    kept, given = seen
    assert (kept.name, kept.time_limit_s, kept.mip_gap, kept.threads, kept.log) == ("highs", 77, 1e-4, 3, False)
    assert (given.name, given.time_limit_s, given.mip_gap, given.threads, given.log) == ("cbc", 30, 0, 1, True)


@pytest.mark.parametrize(("kind", "code", "start"), [
    (VerifyError, 1, "estate-opt: error: "), (InputError, 2, "estate-opt: error: 1 problem with the inputs"),
    (OutputError, 2, "estate-opt: cannot write: "), (InfeasibleError, 3, "estate-opt: infeasible: "),
    (SolverError, 5, "estate-opt: solver error: "), (EstateOptError, 2, "estate-opt: error: "),
    (RoadNetworkError, 2, "estate-opt: error: 1 problem with the inputs"),
    (OSError, 2, "estate-opt: cannot write or read a file: No space left on device: x.csv; nothing was written"),
    (KeyboardInterrupt, 130, "estate-opt: interrupted; nothing was written")])
def test_each_kind_of_error_is_one_message_with_its_exit_code(kind, code, start, line, monkeypatch, capsys):
    from estate_opt.inputs import scenario as scenario_module

    if issubclass(kind, InputError):
        exc = kind(InputProblem("x.csv", "what is wrong", "what would fix it"))
    elif kind is OSError:
        exc = OSError(28, "No space left on device", "x.csv")
    else:
        exc = kind("what went wrong")

    def fail(path):
        raise exc

    _, make = line
    path = make()
    monkeypatch.setattr(scenario_module, "load_scenario", fail)
    monkeypatch.delenv("ESTATE_OPT_DEBUG", raising=False)
    assert main(["validate", str(path)]) == code
    err = capsys.readouterr().err
    assert err.startswith(start) and "Traceback" not in err
