"""The walkthrough notebook runs from top to bottom, so it cannot rot, and what it shows is what it wrote."""

from __future__ import annotations

import ast
import base64
import json
import re

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

from estate_opt.results.verify import verify_run

GAP = 0.01  # a 1% gap keeps the suite quick; the notebook states every plan's gap, and its default is 1e-6


def _cell(nb, fragment: str):
    """The one code cell whose source holds ``fragment``."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and fragment in c.source]
    return cell


def _text(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _value(cell) -> str:
    (result,) = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
    return result["data"]["text/plain"]


@pytest.mark.slow
def test_walkthrough_notebook_executes_and_shows_what_it_wrote(tmp_path, monkeypatch):
    # The notebook finds the project as the parent of notebooks/ and writes to <project>/runs/notebook/:
    # give it a project of links, so it reads the real scenarios and data but writes only under tmp_path.
    for name in ("scenarios", "data"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.read(ROOT / "notebooks" / "trafford_walkthrough.ipynb", as_version=4)
    monkeypatch.setenv("ESTATE_OPT_NOTEBOOK_GAP", str(GAP))
    NotebookClient(nb, timeout=None, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    runs = tmp_path / "runs" / "notebook"
    default = json.loads((runs / "default" / "summary.json").read_text())
    library30 = json.loads((runs / "library30" / "summary.json").read_text())

    # Section 2: the status, gap and tolerance printed are the written run's, and the tolerance is the one set here.
    solve = _cell(nb, "plan, folder = run_scenario(")
    m = re.fullmatch(r"(\w+): gap (\S+) \(tolerance (\S+)\), \d+ s\n", _text(solve))
    assert m, _text(solve)
    assert m[1] == default["status"] == "optimal"
    assert float(m[2]) == pytest.approx(default["gap"], rel=0.01, abs=1e-12)
    assert float(m[3]) == default["gap_tolerance"] == GAP
    kpis = ast.literal_eval(_value(solve))
    assert kpis and kpis == {k: round(default["kpis"][k]) for k in kpis}

    # Section 4: the maps shown are the run's own pictures.
    shown = [base64.b64decode(o["data"]["image/png"]) for o in _cell(nb, "map.png").outputs
             if "image/png" in o.get("data", {})]
    assert shown == [(runs / "default" / n).read_bytes() for n in ("map.png", "access.png")]

    # Section 5: the 30-minute variant, as written.
    m = re.fullmatch(r"(\w+) gap (\S+)\n", _text(_cell(nb, "plan30, folder30 = run_scenario(")))
    assert m and m[1] == library30["status"] == "optimal"
    assert float(m[2]) == pytest.approx(library30["gap"], rel=0.01, abs=1e-12)
    assert library30["settings"]["services"]["library"]["max_travel_min"] == 30

    # Section 6: the notebook's verification is the one a fresh verify gives.
    report = verify_run(runs / "default")
    assert report.ok and verify_run(runs / "library30").ok
    assert _text(_cell(nb, "report = verify_run(folder)")) == f"True {len(report.checks)} checks\n"
