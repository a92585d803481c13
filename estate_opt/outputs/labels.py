"""Plain-English names, units and number formats for every figure a board reads.

One table serves the HTML report and the workbook, so a column is called the same thing,
with the same unit, wherever it appears.
"""

from __future__ import annotations

import math

# column -> (label with unit, kind); kind picks the format: gbp, m2, min, int, num, share, text
COLUMNS = {
    "site_id": ("Site id", "text"), "name": ("Name", "text"), "owner": ("Owner", "text"),
    "owner_type": ("Owner type", "text"), "site_type": ("Building type", "text"), "decision": ("Decision", "text"),
    "fixed_reason": ("Why fixed", "text"), "floor_area_m2": ("Floor area (m²)", "m2"),
    "capacity_m2": ("Space for services (m²)", "m2"), "area_used_before_m2": ("Space used today (m²)", "m2"),
    "area_used_after_m2": ("Space used in plan (m²)", "m2"), "fit_out_m2": ("New space fitted out (m²)", "m2"),
    "move_cost_gbp": ("Move and fit-out cost (£)", "gbp"), "running_cost_gbp": ("Running cost (£/yr)", "gbp"),
    "backlog_gbp": ("Backlog (£)", "gbp"), "carbon_tco2e_per_yr": ("Carbon (tCO₂e/yr)", "num"), "disposal_value_gbp": ("Disposal value (£)", "gbp"),
    "disposal_cost_gbp": ("Disposal cost (£)", "gbp"), "net_receipt_gbp": ("Net receipt if sold (£)", "gbp"),
    "services_before": ("Services today", "text"), "services_after": ("Services in plan", "text"),
    "easting": ("Easting (m, EPSG:27700)", "int"), "northing": ("Northing (m, EPSG:27700)", "int"),
    "annual_saving_gbp": ("Running cost saved (£/yr)", "gbp"), "backlog_avoided_gbp": ("Backlog avoided (£)", "gbp"),
    "receipt_gbp": ("Receipt, net of costs (£)", "gbp"), "services_moving_out": ("Services moving out", "text"),
    "service_id": ("Service", "text"), "from_site_id": ("From site", "text"), "to_site_id": ("To site", "text"),
    "demand_moved": ("Users moving", "num"), "zone_id": ("Zone", "text"), "share": ("Share of zone's demand", "share"),
    "demand": ("Demand (units)", "num"), "travel_min": ("Travel time (min)", "min"),
    "within_standard": ("Within standard", "text"), "demand_unit": ("Unit of demand", "text"),
    "total_demand": ("Total demand", "num"), "standard_min": ("Travel standard (min)", "min"),
    "required_share": ("Required share within standard", "share"), "sites_before": ("Sites today", "int"),
    "sites_after": ("Sites in plan", "int"), "within_standard_before": ("Demand within standard today", "num"),
    "within_standard_after": ("Demand within standard in plan", "num"),
    "share_within_before": ("Share within standard today", "share"),
    "share_within_after": ("Share within standard in plan", "share"),
    "mean_travel_min_before": ("Mean travel today (min)", "min"),
    "mean_travel_min_after": ("Mean travel in plan (min)", "min"),
    "max_travel_min_before": ("Longest travel today (min)", "min"),
    "max_travel_min_after": ("Longest travel in plan (min)", "min"),
    "floor_area_before_m2": ("Floor area today (m²)", "m2"), "floor_area_after_m2": ("Floor area in plan (m²)", "m2"),
    "running_cost_before_gbp": ("Running cost today (£/yr)", "gbp"),
    "running_cost_after_gbp": ("Running cost in plan (£/yr)", "gbp"), "receipts_gbp": ("Receipts (£)", "gbp"),
    "receipts_shared_gbp": ("Share of all receipts (£)", "gbp"),
    "net_annual_position_gbp": ("Net annual position (£/yr)", "gbp"),
    "travel_before_min": ("Mean travel today (min)", "min"), "travel_after_min": ("Mean travel in plan (min)", "min"),
    "change_min": ("Change in travel (min)", "min"), "keep_cost_gbp": ("Cost of keeping (£/yr)", "gbp"),
    "extra_annual_cost_gbp": ("Extra annual equivalent cost (£/yr)", "gbp"),
    "uncertainty_gbp": ("Uncertainty from solver gaps (±£/yr)", "gbp"), "question": ("Forced to", "text"),
    "method": ("How it was found", "text"), "draws": ("Draws solved", "int"),
    "disposed_share": ("Disposed in (share of draws)", "share"), "firm": ("Firm decision", "text"), "reason": ("Why", "text"), "status": ("Solver status", "text"),
    # phasing: programme.csv and cashflow.csv
    "year": ("Programme year (0 = first)", "int"), "calendar_year": ("Year", "int"), "action": ("Action", "text"),
    "area_m2": ("Area (m²)", "m2"), "cost_gbp": ("Cost (£)", "gbp"),
    "running_saving_gbp_per_yr": ("Running cost saved from then (£/yr)", "gbp"),
    "running_saving_gbp": ("Running cost saved (£)", "gbp"), "net_gbp": ("Net saving (£)", "gbp"),
    "cumulative_net_gbp": ("Cumulative net saving (£)", "gbp"),
    "discounted_net_gbp": ("Discounted net saving (£)", "gbp"),
    "cumulative_discounted_gbp": ("Cumulative discounted saving (£)", "gbp"),
}

KPIS = [  # key, label, kind
    ("annual_running_saving_gbp", "Running cost saved", "gbp_yr"),
    ("capital_receipts_gbp", "Capital receipts, net of disposal costs", "gbp"),
    ("annual_equivalent_saving_gbp", "Annual equivalent saving (running, backlog, receipts, moves)", "gbp_yr"),
    ("sites_before", "Sites today", "int"), ("sites_after", "Sites in the plan", "int"),
    ("floor_area_before_m2", "Floor area today", "m2"), ("floor_area_after_m2", "Floor area in the plan", "m2"),
    ("running_cost_before_gbp_per_yr", "Running cost today", "gbp_yr"),
    ("running_cost_after_gbp_per_yr", "Running cost in the plan", "gbp_yr"),
    ("backlog_before_gbp", "Backlog maintenance today", "gbp"), ("backlog_after_gbp", "Backlog on kept sites", "gbp"),
    ("fit_out_m2", "New space fitted out", "m2"), ("move_cost_gbp", "Move and fit-out cost", "gbp"),
    ("capital_spend_gbp", "Capital spend (backlog on kept sites + fit-out)", "gbp"),
    ("carbon_before_tco2e", "Carbon from energy use today", "tco2e"),
    ("carbon_after_tco2e", "Carbon from energy use in the plan", "tco2e"),
    ("annual_equivalent_cost_before_gbp", "Annual equivalent cost today", "gbp_yr"),
    ("annual_equivalent_cost_after_gbp", "Annual equivalent cost of the plan", "gbp_yr"),
]


def fmt(value, kind: str) -> str:
    """A figure as a board reads it: thousands separators, units, no false precision."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "text":
        return str(value)
    v = float(value)
    if kind in ("gbp", "gbp_yr"):
        s = f"-£{-v:,.0f}" if v < 0 else f"£{v:,.0f}"
        return s + (" a year" if kind == "gbp_yr" else "")
    if kind == "m2":
        return f"{v:,.0f} m²"
    if kind == "min":
        return f"{v:,.1f} min"
    if kind == "share":
        return f"{v:.1%}"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "tco2e":
        return f"{v:,.0f} tCO₂e a year"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


EXCEL_FORMATS = {"gbp": '"£"#,##0', "gbp_yr": '"£"#,##0', "m2": "#,##0", "min": "0.0", "share": "0.0%",
                 "int": "#,##0", "num": "#,##0.0", "tco2e": "#,##0", "text": "@"}


def label(column: str) -> str:
    return COLUMNS.get(column, (column.replace("_", " ").capitalize(), "num"))[0]


def kind(column: str) -> str:
    return COLUMNS.get(column, ("", "num"))[1]
