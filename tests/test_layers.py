"""The package's layers import one way only (the contract in pyproject.toml, imports inside functions included)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imports_point_down_the_layers():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_contract_catches_an_upward_import(tmp_path):
    # The contract is not vacuous: an inputs module importing the CLI breaks it.
    pkg = tmp_path / "estate_opt"
    shutil.copytree(ROOT / "estate_opt", pkg, ignore=shutil.ignore_patterns("assets", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bad = pkg / "inputs" / "schema.py"
    bad.write_text(bad.read_text() + "\n\ndef _up():\n    from estate_opt import cli  # noqa: F401\n")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    proc = subprocess.run([exe, "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert proc.returncode != 0
    assert "estate_opt.inputs is not allowed to import estate_opt.cli" in proc.stdout
