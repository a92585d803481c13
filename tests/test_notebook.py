"""The walkthrough notebook runs from top to bottom, so it cannot rot."""

from __future__ import annotations

import os

import nbformat
from conftest import ROOT
from nbclient import NotebookClient


def test_walkthrough_notebook_executes(monkeypatch):
    path = ROOT / "notebooks" / "trafford_walkthrough.ipynb"
    nb = nbformat.read(path, as_version=4)
    # A 1% gap keeps the suite quick; the notebook states every plan's gap, and its default is 1e-6.
    monkeypatch.setenv("ESTATE_OPT_NOTEBOOK_GAP", "0.01")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "optimal" in text and "True" in text  # solved, and both plans verified
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the maps were drawn
    assert os.environ.get("ESTATE_OPT_NOTEBOOK_GAP") == "0.01"
