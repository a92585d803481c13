"""The board report: one self-contained HTML page (report.html) a board member can read offline.

Built from a :class:`Plan`, the run's summary.json and the pack's PNG images (embedded as data
URIs). Plain English, figures with units and thousands separators; every value is escaped by
Jinja's autoescaping, so a site called ``<script>`` shows as text.
"""

from __future__ import annotations

import base64
from importlib import resources

import jinja2
import pandas as pd

from estate_opt.model.solve import Status
from estate_opt.outputs.labels import KPIS, fmt, kind, label

DISPOSAL_COLUMNS = ["name", "owner", "floor_area_m2", "annual_saving_gbp", "backlog_avoided_gbp", "receipt_gbp",
                    "services_moving_out"]
OWNER_COLUMNS = ["owner", "sites_before", "sites_after", "floor_area_before_m2", "floor_area_after_m2",
                 "annual_saving_gbp", "receipts_gbp", "receipts_shared_gbp", "move_cost_gbp", "net_annual_position_gbp"]


def render_report(plan, summary: dict, images: dict[str, bytes]) -> str:
    """report.html as a string. ``images``: map, owners, access, travel -> PNG bytes."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files("estate_opt.outputs").joinpath("templates", "report.html.j2").read_text())
    return template.render(**context(plan, summary, images))


def _cells(row: pd.Series, columns: list[str]) -> list[dict]:
    return [{"text": fmt(row[c], kind(c)), "n": kind(c) != "text"} for c in columns]


def context(plan, summary: dict, images: dict[str, bytes]) -> dict:
    r, k = plan.result, plan.kpis
    settings = summary.get("settings", {})
    sites = plan.sites.set_index("site_id")
    name_of = sites["name"].to_dict()
    gap = "n/a" if r.gap is None else f"{r.gap:.4%}"
    per = "" if plan.programme is not None else "/yr"
    if r.status is Status.OPTIMAL:
        headline = "Proven optimal."
        detail = (f"The solver ({r.solver} {r.solver_version}) proved this plan {r.proven_within(per)} meeting the "
                  f"board's rules (tolerance {r.gap_tolerance:g}): no plan costs less by more than that, so options "
                  "that differ by less are ties, not choices.")
    else:
        headline = "NOT proven optimal."
        detail = (f"The solver stopped ({r.message}) before proving this plan the best: it is proven only "
                  f"{r.proven_within(per)}, so a better plan may cost up to that much less. Run again with a longer "
                  "time limit before relying on the ranking of close options.")
    access = plan.services
    short = access[access.share_within_after + 1e-9 < access.share_within_before]
    if short.empty:
        access_sentence = "no service's share of residents within its travel standard falls"
    else:
        access_sentence = "the share within the travel standard falls for " + ", ".join(
            f"{s.name} ({s.share_within_before:.1%} to {s.share_within_after:.1%})" for s in short.itertuples())
    summary_sentence = (
        f"The plan keeps {k['sites_after']:,} of the {k['sites_before']:,} public buildings and disposes of "
        f"{k['sites_disposed']:,}, saving {fmt(k['annual_running_saving_gbp'], 'gbp')} a year in running costs and "
        f"raising {fmt(k['capital_receipts_gbp'], 'gbp')} in receipts net of disposal costs; {access_sentence}.")
    cards = [{"label": lab, "value": fmt(k.get(key), kd)} for key, lab, kd in KPIS if k.get(key) is not None]
    if k.get("carbon_before_tco2e") is not None:
        cards.append({"label": "Sites with carbon data", "value": f"{k['carbon_sites_with_data']:,} of {k['sites_before']:,}"})

    d = plan.disposals
    columns = list(DISPOSAL_COLUMNS)
    kc = plan.meta.get("keep_costs")
    if kc is not None and len(kc):
        cost = kc.set_index("site_id").extra_annual_cost_gbp
        d = d.assign(keep_cost_gbp=d.site_id.map(cost))
        columns.append("keep_cost_gbp")
    disposals = [_cells(row, columns) for _, row in d.iterrows()]
    total = {"name": "Total", "owner": "", "services_moving_out": "", "keep_cost_gbp": None}
    total.update({c: d[c].sum() for c in columns if c not in total})
    disposal_total = _cells(pd.Series(total), columns)
    why = _why(kc, sites) if kc is not None and len(kc) else []
    firm = _firmness(plan.meta.get("sensitivity"))

    s = plan.sites
    gained = s[(s.decision == "retain") & (s.services_after.fillna("") != s.services_before.fillna(""))]
    colocation = [{"name": g["name"], "owner": g.owner, "before": g.services_before or "none",
                   "after": g.services_after or "none", "fit_out": fmt(g.fit_out_m2, "m2")} for _, g in gained.iterrows()]
    shared = int((s.services_after.fillna("").str.count(";") >= 1).sum())
    colocation_sentence = (f"{len(gained)} kept buildings change the services they host; {shared} host more than one "
                           f"service in the plan. New space fitted out: {fmt(k['fit_out_m2'], 'm2')}, costing "
                           f"{fmt(k['move_cost_gbp'], 'gbp')} once.")
    moves = [{"service": m.service_id, "from": name_of.get(m.from_site_id, m.from_site_id),
              "to": name_of.get(m.to_site_id, m.to_site_id) if m.to_site_id else "(none)",
              "users": fmt(m.demand_moved, "num"), "area": fmt(m.floor_area_m2, "m2")}
             for m in plan.moves.itertuples(index=False)]

    owners = [_cells(row, OWNER_COLUMNS) for _, row in plan.owners.sort_values("annual_saving_gbp",
                                                                                 ascending=False).iterrows()]
    access_rows = [{"name": a.name, "standard": fmt(a.standard_min, "min"), "before": fmt(a.share_within_before, "share"),
                    "after": fmt(a.share_within_after, "share"), "mean_before": fmt(a.mean_travel_min_before, "min"),
                    "mean_after": fmt(a.mean_travel_min_after, "min"), "max_after": fmt(a.max_travel_min_after, "min"),
                    "sites": f"{a.sites_before} → {a.sites_after}"} for a in access.itertuples(index=False)]
    zone_names = plan.meta.get("zone_names", {})
    rises = plan.zones[plan.zones.change_min > 0.05].sort_values("change_min", ascending=False).head(15)
    rise_rows = [{"zone": f"{zone_names.get(z.zone_id) or z.zone_id} ({z.zone_id})", "service": z.service_id,
                  "demand": fmt(z.demand, "num"), "before": fmt(z.travel_before_min, "min"),
                  "after": fmt(z.travel_after_min, "min"), "change": f"+{z.change_min:,.1f} min"}
                 for z in rises.itertuples(index=False)]

    econ = settings.get("economics", {})
    phased = plan.programme is not None
    unit = "gbp" if phased else "gbp_yr"
    solver_rows = [("Status", r.status.value), ("Optimality gap", gap),
                   ("Proven distance from the best possible plan", fmt(r.gap_abs, unit)),
                   ("Gap tolerance", f"{r.gap_tolerance:g}"),
                   ("Objective (net present value of the programme)" if phased else
                    "Objective (annual equivalent cost)", fmt(r.objective, unit)),
                   ("Best bound proven", fmt(r.bound, unit)), ("Solver", f"{r.solver} {r.solver_version}"),
                   ("Solve time", f"{r.seconds:,.1f} s (limit {r.time_limit_s:g} s)"), ("Solver message", r.message)]
    settings_rows = [("Discount rate", f"{econ.get('discount_rate', 0):.1%} (HM Treasury Green Book default 3.5%)"),
                     ("Appraisal period", f"{econ.get('appraisal_years')} years"),
                     ("Annuity factor", f"{k['annuity_factor']:.5f} a year"),
                     ("Value of travel time", (f"£{econ.get('travel_weight_gbp_per_unit_min', 0):g} per unit of "
                                               "demand per minute per year")),
                     ("Travel", summary.get("travel", ""))]
    for key, value in settings.get("constraints", {}).items():
        if value not in (None, [], ""):
            settings_rows.append((key.replace("_", " ").capitalize(), str(value)))
    for sid, over in settings.get("services", {}).items():
        settings_rows.append((f"Service {sid}", ", ".join(f"{a} {b}" for a, b in over.items())))
    a = plan.assumptions
    assumption_head = list(a.columns) if a is not None else []
    assumptions = a.astype(str).values.tolist() if a is not None else []
    return {
        "title": f"{plan.scenario}: public estate plan", "description": settings.get("description", ""),
        "created": summary.get("created_utc", "")[:10], "version": summary.get("versions", {}).get("estate_opt", ""),
        "status_class": "optimal" if r.status is Status.OPTIMAL else "feasible", "status_headline": headline,
        "status_detail": detail.replace("lower annual equivalent cost", "lower net present cost")
        if phased else detail, "summary_sentence": summary_sentence, "cards": cards,
        "images": {n: base64.b64encode(b).decode() for n, b in images.items()},
        "disposal_head": [{"label": label(c), "n": kind(c) != "text"} for c in columns], "why": why, "firm": firm,
        "disposals": disposals, "disposal_total": disposal_total, "colocation": colocation,
        "colocation_sentence": colocation_sentence, "moves": moves,
        "owner_head": [{"label": label(c), "n": kind(c) != "text"} for c in OWNER_COLUMNS], "owners": owners,
        "phi": f"{k['annuity_factor']:.5f}", "rate": f"{econ.get('discount_rate', 0):.1%}",
        "sharing": {"owner": "the owner of each site sold", "floor_area": "floor area held",
                    "equal": "equal shares"}.get(econ.get("receipts_sharing", "owner"), "owner"),
        "years": econ.get("appraisal_years"), "access": access_rows, "rises": rise_rows,
        "travel": summary.get("travel", ""), "solver_rows": solver_rows, "settings_rows": settings_rows,
        "assumption_head": assumption_head, "assumptions": assumptions,
        "inputs": [(t, v["path"], v["sha256"]) for t, v in summary.get("inputs", {}).items()],
        "attribution": plan.meta.get("attribution", ""), "programme": _programme(plan) if phased else None,
    }



def _programme(plan) -> dict:
    """The year-by-year programme, its cash flows and each organisation's share, for the report."""
    k = plan.kpis
    prog = plan.programme
    verbs = {"dispose": "Release and sell", "move in": "Move in", "fit out": "Fit out more space",
             "clear backlog": "Clear backlog"}
    actions = [{"year": int(a.calendar_year), "action": verbs.get(a.action, a.action), "site": a.site_name,
                "owner": a.owner, "service": a.service_id or "", "cost": fmt(a.cost_gbp, "gbp") if a.cost_gbp else "",
                "receipt": fmt(a.receipt_gbp, "gbp") if a.receipt_gbp else ""}
               for a in prog.itertuples(index=False)]
    c = plan.cashflow
    shown = c[c.year < int(k["programme_years"])]
    cash = [{"year": int(r.calendar_year), "running": fmt(r.running_saving_gbp, "gbp"),
             "backlog": fmt(r.backlog_avoided_gbp, "gbp"), "moves": fmt(r.move_cost_gbp, "gbp"),
             "receipts": fmt(r.receipts_gbp, "gbp"), "net": fmt(r.net_gbp, "gbp"),
             "cumulative": fmt(r.cumulative_net_gbp, "gbp")} for r in shown.itertuples(index=False)]
    per = plan.cashflow_owners.groupby("owner")[["discounted_net_gbp", "net_gbp"]].sum().sort_values(
        "discounted_net_gbp", ascending=False)
    owners = [{"owner": o, "npv": fmt(v.discounted_net_gbp, "gbp")} for o, v in per.iterrows()]
    last = k.get("last_disposal_year")
    payback = k.get("payback_year")
    sentence = (f"The programme runs from {k['programme_start_year']} over {k['programme_years']} years"
                + (f"; the last building goes in {last}" if last else "") + ". Against doing nothing it is worth "
                f"{fmt(k['npv_saving_gbp'], 'gbp')} in today's money over the appraisal period"
                + (f", and pays back in {payback}" if payback else ", and does not pay back within it") + ".")
    return {"sentence": sentence, "actions": actions, "cash": cash, "owners": owners,
            "after": len(c) - len(shown), "total_net": fmt(float(c.net_gbp.sum()), "gbp")}


def _why(kc: pd.DataFrame, sites: pd.DataFrame) -> list[str]:
    """Plain sentences: what keeping each disposed site, or losing each kept one, would cost."""
    out = []
    for r in kc.sort_values(["question", "extra_annual_cost_gbp"], ascending=[False, True]).itertuples():
        name = r.name
        if not Status(r.status).has_solution:  # keep_costs.csv holds the status as text
            out.append(f"{name} cannot go: {r.reason}" if r.question == "dispose" else
                       f"{name}: the cost of keeping it could not be found ({r.status}).")
            continue
        pm = f" (± {fmt(r.uncertainty_gbp, 'gbp')})" if r.uncertainty_gbp and r.uncertainty_gbp >= 1 else ""
        verb = "Keeping" if r.question == "keep" else "Disposing of"
        out.append(f"{verb} {name} would cost {fmt(r.extra_annual_cost_gbp, 'gbp')} a year more{pm}"
                   + (", kept empty" if r.method == "bound" else "") + ".")
    return out


def _firmness(sens: pd.DataFrame | None) -> dict | None:
    """How often each unfixed site was disposed across the sampled costs and values."""
    if sens is None or not len(sens):
        return None
    free = sens[sens.fixed_reason.fillna("") == ""]
    marginal = free[~free.firm.astype(bool)].sort_values("disposed_share", ascending=False)
    return {"draws": int(sens.draws.max()), "firm": int(free.firm.astype(bool).sum()), "free": len(free),
            "marginal": [{"name": r.name, "decision": r.decision, "share": fmt(r.disposed_share, "share")}
                         for r in marginal.itertuples()]}
