"""plan.xlsx: the plan as a workbook estates officers take into their own spreadsheets.

Sheets: Summary, Disposals, Moves, Sites, Allocation, Access, Owners, Zone access, Assumptions.
Headers say what and in which unit; numbers keep full precision with display formats
(thousands separators, £); header rows are frozen and columns sized to their contents.
"""

from __future__ import annotations

import pandas as pd

from estate_opt.outputs.labels import EXCEL_FORMATS, KPIS, kind, label

SHEETS = [("Disposals", "disposals"), ("Moves", "moves"), ("Sites", "sites"), ("Allocation", "allocation"),
          ("Access", "services"), ("Owners", "owners"), ("Zone access", "zones")]


def write_workbook(plan, summary: dict, path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = plan.result
    rows = [("Scenario", plan.scenario, "text"), ("Status", r.status.value, "text"),
            ("Optimality gap", r.gap, "share"), ("Gap tolerance", r.gap_tolerance, "num"),
            ("Objective: net present value (£)" if plan.programme is not None else
             "Objective: annual equivalent cost (£/yr)", r.objective, "gbp"), ("Solver", f"{r.solver} "
                                                                                     f"{r.solver_version}", "text"),
            ("Solve time (s)", r.seconds, "num")]
    rows += [(f"{lab} ({'£/yr' if kd == 'gbp_yr' else '£' if kd == 'gbp' else 'm²' if kd == 'm2' else 'tCO2e/yr' if kd == 'tco2e' else 'count'})",
              plan.kpis.get(key), kd) for key, lab, kd in KPIS if plan.kpis.get(key) is not None]
    ws.append(["Figure", "Value"])
    for name, value, kd in rows:
        ws.append([name, value])
        ws.cell(ws.max_row, 2).number_format = EXCEL_FORMATS.get(kd, "General")
    _style(ws, Font, PatternFill, Alignment, get_column_letter)

    for title, attr in SHEETS:
        df = getattr(plan, attr)
        _frame_sheet(wb.create_sheet(title), df, Font, PatternFill, Alignment, get_column_letter)
    for title, attr in (("Programme", "programme"), ("Cash flow", "cashflow"), ("Cash flow by owner", "cashflow_owners")):
        if getattr(plan, attr, None) is not None:
            _frame_sheet(wb.create_sheet(title), getattr(plan, attr), Font, PatternFill, Alignment, get_column_letter)
    for key, title in (("keep_costs", "Keep costs"), ("sensitivity", "Sensitivity")):
        if plan.meta.get(key) is not None:
            _frame_sheet(wb.create_sheet(title), plan.meta[key], Font, PatternFill, Alignment, get_column_letter)
    if plan.assumptions is not None:
        a = plan.assumptions
        ws = wb.create_sheet("Assumptions")
        ws.append(list(a.columns))
        for row in a.itertuples(index=False):
            ws.append([str(v) for v in row])
        _style(ws, Font, PatternFill, Alignment, get_column_letter)
    wb.save(path)


def _frame_sheet(ws, df: pd.DataFrame, Font, PatternFill, Alignment, get_column_letter) -> None:
    ws.append([label(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for j, c in enumerate(df.columns, start=1):
        f = EXCEL_FORMATS.get(kind(c), "General")
        if f != "@":
            for cell in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell[0].number_format = f
    _style(ws, Font, PatternFill, Alignment, get_column_letter)


def _cell(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()
    return v


def _style(ws, Font, PatternFill, Alignment, get_column_letter) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE3EA")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for j, col in enumerate(ws.iter_cols(min_row=1, max_row=min(ws.max_row, 300)), start=1):
        width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
        ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
