"""Solver failures are messages with a fix: a missing binary, a crash, bad options; nothing is written."""

from __future__ import annotations

import importlib
import stat

from estate_opt.cli import main

solve = importlib.import_module("estate_opt.model.solve")  # the module (the package re-exports a function of that name)


def _fails(make, tmp_path, capsys, *args) -> str:
    out = tmp_path / "run"
    assert main(["run", str(make()), "--out", str(out), "-q", *args]) == 5
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists()
    return err


def test_missing_cbc_binary_says_how_to_get_it(line, tmp_path, capsys, monkeypatch):
    _, make = line
    monkeypatch.setattr(solve, "_cbc_path", lambda: None)
    err = _fails(make, tmp_path, capsys, "--solver", "cbc")
    assert "CBC is not available: install it" in err and "choose solver: highs" in err


def test_a_crashing_solver_gives_no_plan(line, tmp_path, capsys, monkeypatch):
    _, make = line
    fake = tmp_path / "cbc"
    fake.write_text("#!/bin/sh\necho 'Segmentation fault' >&2\nexit 139\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(solve, "_cbc_path", lambda: str(fake))
    err = _fails(make, tmp_path, capsys, "--solver", "cbc")
    assert "the solver found no plan" in err and "CBC wrote no solution" in err


def test_unknown_highs_option_is_named(line, tmp_path, capsys):
    _, make = line
    out = tmp_path / "run"
    path = make({"solver": {"options": {"mip_heuristic_efort": 0.3}}})
    assert main(["run", str(path), "--out", str(out), "-q"]) == 5
    err = capsys.readouterr().err
    assert "HiGHS has no option 'mip_heuristic_efort'" in err and not out.exists()
