"""The board pack: report.html, map.html, the PNG maps and charts and plan.xlsx, from a Plan.

``pack_files`` returns the pack as files ready for the atomic writer (the run writes them with
the plan); ``rewrite_pack`` rebuilds them for a written run without re-solving
(``estate-opt report OUT_DIR``), after loading it (which verifies it still matches its inputs).
"""

from __future__ import annotations

import io
from pathlib import Path

from estate_opt.outputs import charts, maps
from estate_opt.outputs.report import render_report
from estate_opt.outputs.workbook import write_workbook
from estate_opt.results.folder import load_plan, replace_files
from estate_opt.results.plan import Plan


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


def rewrite_pack(out_dir: str | Path) -> list[str]:
    """Regenerate the pack of a written run in place, each file written atomically."""
    plan, estate, summary = load_plan(out_dir)
    return replace_files(Path(out_dir), pack_files(plan, estate, summary))
