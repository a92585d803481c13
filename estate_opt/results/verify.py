"""Re-check a written plan against its inputs, without the solver.

``verify_run(out_dir)`` reloads the inputs the run recorded (and fails if any has changed since),
reads the plan's files, and checks every constraint from them: demand served, access standards,
capacity, incompatible services, flags, site limits, budget, savings target. It then rebuilds
every derived table and KPI from the kept sites and the allocation alone and fails loudly on
any difference from what was written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from estate_opt.errors import VerifyError
from estate_opt.inputs.estate import Estate, load_estate
from estate_opt.inputs.readers import file_hash
from estate_opt.inputs.scenario import scenario_of_run
from estate_opt.model.formulation import ModelOptions
from estate_opt.model.phasing import (
    PhasingOptions,
    cash_flows,
    programme_kpis,
    programme_npv,
    release_years,
)
from estate_opt.model.solve import Status
from estate_opt.results.plan import (
    area_by_service_site,
    disposal_table,
    kpis,
    moves_table,
    owner_table,
    read_table,
    service_access,
    site_table,
    zone_access,
)

REL = 1e-6  # relative tolerance: solver feasibility tolerances are ~1e-7 relative


@dataclass
class Report:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, bool(ok), detail))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{n}: {d}" for n, ok, d in self.checks if not ok]

    def text(self) -> str:
        return "\n".join(f"  {'ok  ' if ok else 'FAIL'} {n}" + (f" — {d}" if d and not ok else "")
                         for n, ok, d in self.checks)


def verify_run(out_dir: str | Path) -> Report:
    """Verify a run folder written by ``estate-opt run``; inputs are reloaded from its summary."""
    return check_run(out_dir)[0]


def check_run(out_dir: str | Path) -> tuple[Report, dict, object, Estate | None]:
    """(report, summary, scenario, estate) of a run folder; scenario and estate are None when an input changed."""
    out = Path(out_dir)
    summary_path = out / "summary.json"
    if not summary_path.exists():
        raise VerifyError(f"{out} holds no summary.json: not a complete estate_opt run")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    report = Report()
    for table, src in summary.get("inputs", {}).items():
        p = Path(src["path"])
        same = p.exists() and file_hash(p) == src["sha256"]
        report.add(f"input {table} unchanged", same, f"{p} is missing or has changed since the run")
    if not report.ok:
        return report, summary, None, None
    scenario = scenario_of_run(summary)
    estate = load_estate(scenario)
    options = ModelOptions.from_scenario(scenario)
    sites_w, alloc = read_plan_tables(out)
    verify_plan(estate, out, options, summary, report, sites_w=sites_w, alloc=alloc)
    phasing = PhasingOptions.from_scenario(scenario)
    if phasing is not None:
        verify_programme(estate, out, phasing, options, summary, report, sites_w=sites_w, alloc=alloc)
    return report, summary, scenario, estate


def _close(a, b, scale=1.0) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if np.isnan(a) or np.isnan(b):
        return np.isnan(a) and np.isnan(b)
    return abs(a - b) <= REL * max(abs(a), abs(b), scale) + 1e-6


def _frame_diff(name: str, written: pd.DataFrame, rebuilt: pd.DataFrame) -> str:
    if list(written.columns) != list(rebuilt.columns):
        return f"{name} columns differ: {list(written.columns)} vs {list(rebuilt.columns)}"
    if len(written) != len(rebuilt):
        return f"{name} has {len(written)} rows, the plan implies {len(rebuilt)}"
    for c in written.columns:
        w, r = written[c], rebuilt[c]
        if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
            wn = pd.to_numeric(w, errors="coerce").to_numpy(float)
            rn = r.to_numpy(float)
            bad = ~(np.isclose(wn, rn, rtol=REL, atol=1e-6) | (np.isnan(wn) & np.isnan(rn)))
        else:
            bad = w.fillna("").astype(str).to_numpy() != r.fillna("").astype(str).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return f"{name} column {c} differs at row {i + 2}: written {w.iloc[i]!r}, implied {r.iloc[i]!r}"
    return ""


def read_plan_tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """sites.csv and allocation.csv of a run, typed (shares, demand and minutes as floats; flags as bools)."""
    sites_w = read_table(out, "sites.csv")
    alloc = read_table(out, "allocation.csv")
    for c in ("share", "demand", "travel_min"):
        alloc[c] = alloc[c].astype(float)
    alloc["within_standard"] = alloc.within_standard.astype(str).str.lower() == "true"
    return sites_w, alloc


def _status(summary: dict) -> Status | None:
    """The status a run recorded, or None when it recorded none the package knows."""
    try:
        return Status(summary.get("status"))
    except ValueError:
        return None


def verify_plan(estate: Estate, out: Path, options: ModelOptions, summary: dict, report: Report | None = None, *,
                sites_w: pd.DataFrame | None = None, alloc: pd.DataFrame | None = None) -> Report:
    """Check the plan files in ``out`` against an Estate (already loaded).

    ``sites_w``, ``alloc``: sites.csv and allocation.csv as :func:`read_plan_tables` gives them, when
    already read (otherwise they are read from ``out``).
    """
    report = report or Report()
    status = _status(summary)
    report.add("solver found a plan", status is not None and status.has_solution,
               f"status is {summary.get('status')}")
    if status == Status.OPTIMAL:
        gap, tol = summary.get("gap"), summary.get("gap_tolerance") or 0.0
        report.add("optimal status has a gap within tolerance", gap is not None and gap <= tol + 1e-9,
                   f"gap {gap} above tolerance {tol}")
    if sites_w is None or alloc is None:
        sites_w, alloc = read_plan_tables(out)
    kept = list(sites_w.site_id[sites_w.decision == "retain"])
    s = estate.sites

    report.add("every input site has one decision",
               sorted(sites_w.site_id) == sorted(s.index) and sites_w.decision.isin(["retain", "dispose"]).all(),
               "sites.csv does not list each input site once with retain/dispose")
    dec = sites_w.set_index("site_id").decision
    bad = [i for i in s.index[s.fixed == "retain"] if dec.get(i) != "retain"] + \
          [i for i in s.index[s.fixed == "dispose"] if dec.get(i) != "dispose"]
    report.add("must-retain and must-dispose honoured", not bad, f"sites {bad[:6]}")

    # The allocation: admissible, at kept sites, whole demand served, times as the inputs imply.
    pairs = estate.pairs.set_index(["zone_id", "service_id", "site_id"])
    key = pd.MultiIndex.from_frame(alloc[["zone_id", "service_id", "site_id"]])
    admissible = key.isin(pairs.index)
    report.add("every allocation is an admissible zone-service-site pair", admissible.all(),
               f"{int((~admissible).sum())} rows, e.g. {list(key[~admissible][:3])}")
    report.add("demand is served only at kept sites", alloc.site_id.isin(kept).all(),
               f"sites {sorted(set(alloc.site_id) - set(kept))[:6]}")
    if admissible.all():
        p = pairs.loc[key]
        report.add("travel times match the inputs", np.allclose(p.minutes.to_numpy(float), alloc.travel_min, rtol=REL,
                                                                atol=1e-6), "allocation.csv travel_min differs")
        report.add("within-standard flags match", (p.within.to_numpy(bool) == alloc.within_standard.to_numpy()).all(),
                   "allocation.csv within_standard differs")
    served = alloc.groupby(["zone_id", "service_id"]).demand.sum()
    need = estate.demand.set_index(["zone_id", "service_id"]).demand
    served = served.reindex(need.index).fillna(0.0)
    short = need[~np.isclose(served, need, rtol=REL, atol=1e-6)]
    report.add("every zone's demand is fully served", short.empty, f"{len(short)} zone-services, e.g. {list(short.index[:3])}")
    shares = alloc.groupby(["zone_id", "service_id"]).share.sum()
    report.add("shares sum to one", np.allclose(shares, 1.0, atol=1e-6), "shares do not sum to 1")

    for k, svc in estate.services.iterrows():
        if svc.required_share <= 0 or pd.isna(svc.max_travel_min) or svc.total_demand <= 0:
            continue
        a = alloc[alloc.service_id == k]
        share = a.loc[a.travel_min <= svc.max_travel_min + 1e-9, "demand"].sum() / svc.total_demand
        report.add(f"access standard {k}", share >= svc.required_share - 1e-6,
                   f"{share:.4%} within {svc.max_travel_min:g} min, {svc.required_share:.2%} required")

    area = area_by_service_site(estate, alloc)  # m² per (service, site)
    used = area.groupby(level="site_id").sum()
    cap = s.capacity_m2.reindex(used.index)
    over = used[used > cap * (1 + REL) + 1e-4]
    report.add("capacity of every site", over.empty, f"sites over capacity: {list(over.index[:6])}")

    hosted = alloc.groupby("site_id").service_id.agg(set)
    clash = []
    for site, ks in hosted.items():
        for k in ks:
            others = set(estate.services.at[k, "incompatible_with"]) & ks
            if others:
                clash.append(f"{site}: {k} with {sorted(others)}")
    report.add("incompatible services never share a building", not clash, "; ".join(clash[:4]))
    mu = area.index.get_level_values("service_id").map(estate.services.min_site_m2).to_numpy(float)
    small = area[area.to_numpy() < mu * (1 - REL) - 1e-4]
    report.add("every service point has its viable size", small.empty, f"{list(small.index[:4])}")

    n = len(kept)
    for label, limit, ok in (("exact_sites", options.exact_sites, lambda L: n == L),
                             ("min_sites", options.min_sites, lambda L: n >= L),
                             ("max_sites", options.max_sites, lambda L: n <= L)):
        if limit is not None:
            report.add(f"site count {label}", ok(limit), f"{n} sites kept, limit {limit}")

    # Rebuild every derived table and KPI from the kept sites and the allocation alone.
    rebuilt_sites = site_table(estate, kept, alloc)
    diff = _frame_diff("sites.csv", sites_w, rebuilt_sites)
    report.add("sites.csv equals what the plan implies", not diff, diff)
    access = service_access(estate, alloc)
    owners = owner_table(rebuilt_sites, options.phi, options.receipts_sharing)
    za = zone_access(estate, alloc)
    for name, rebuilt in (("disposals.csv", disposal_table(rebuilt_sites)), ("moves.csv", moves_table(estate, alloc)),
                          ("access.csv", access), ("owners.csv", owners), ("zone_access.csv", za)):
        written = read_table(out, name)
        diff = _frame_diff(name, written, rebuilt)
        report.add(f"{name} equals what the plan implies", not diff, diff)
    diff = _frame_diff("summary.json services", pd.DataFrame(summary.get("services", [])), access)
    report.add("access figures in summary.json recompute", not diff, diff)
    low = []
    for r in owners.itertuples():
        floor = options.min_owner_position_for(r.owner)
        if floor is not None and r.net_annual_position_gbp < floor - 1e-6 * max(1.0, abs(r.net_annual_position_gbp)) - 1e-3:
            low.append(f"{r.owner} {r.net_annual_position_gbp:,.0f} < {floor:,.0f}")
    report.add("no organisation below its minimum net position", not low, "; ".join(low[:4]))
    if options.max_travel_increase is not None or options.max_decile_travel_increase is not None:
        if options.max_travel_increase is not None:
            over = za[za.change_min > options.max_travel_increase + 1e-6]
            report.add("no zone's travel rises beyond the limit", over.empty,
                       f"{len(over)} zone-services, e.g. {list(zip(over.zone_id, over.service_id))[:3]}")
        if options.max_decile_travel_increase is not None:
            za = za.assign(decile=za.zone_id.map(estate.zones["deprivation_decile"]),
                           w_before=za.demand * za.travel_before_min, w_after=za.demand * za.travel_after_min)
            g = za.groupby(["decile", "service_id"])[["demand", "w_before", "w_after"]].sum()
            rise = (g.w_after - g.w_before) / g.demand
            over = rise[rise > options.max_decile_travel_increase + 1e-6]
            report.add("no deprivation decile's travel rises beyond the limit", over.empty, f"{list(over.index[:3])}")
    k = kpis(estate, rebuilt_sites, alloc, options)
    if options.capital_budget is not None:
        report.add("capital budget", k["capital_spend_gbp"] <= options.capital_budget * (1 + REL) + 1e-3,
                   f"spend £{k['capital_spend_gbp']:,.0f} over budget £{options.capital_budget:,.0f}")
    if options.min_annual_saving is not None:
        report.add("savings target", k["annual_running_saving_gbp"] >= options.min_annual_saving * (1 - REL) - 1e-3,
                   f"saving £{k['annual_running_saving_gbp']:,.0f}/yr below £{options.min_annual_saving:,.0f}/yr")
    written_k = summary.get("kpis", {})
    diffs = [f"{name}: written {written_k.get(name)}, recomputed {v}" for name, v in k.items()
             if not _close(written_k.get(name), v)]
    report.add("every KPI in summary.json recomputes", not diffs, "; ".join(diffs[:4]))
    obj = summary.get("objective")
    if obj is not None and "programme_years" not in written_k:  # a programme's objective is its NPV: see below
        tol = max(REL, (summary.get("gap_tolerance") or 0.0)) * max(abs(obj), 1.0) + 1e-3
        report.add("objective recomputes from the plan", abs(k["objective_gbp_per_yr"] - obj) <= tol,
                   f"summary {obj:,.4f}, recomputed {k['objective_gbp_per_yr']:,.4f}")
    return report


def verify_programme(estate: Estate, out: Path, p: PhasingOptions, options: ModelOptions, summary: dict,
                     report: Report, *, sites_w: pd.DataFrame | None = None,
                     alloc: pd.DataFrame | None = None) -> Report:
    """Check a phased plan year by year: leases, order of moves, budgets, targets, cash flows, NPV.

    ``sites_w``, ``alloc``: as for :func:`verify_plan`.
    """
    if sites_w is None or alloc is None:
        sites_w, alloc = read_plan_tables(out)
    prog = read_table(out, "programme.csv")
    for c in ("year", "calendar_year"):
        prog[c] = prog[c].astype(int)
    for c in ("area_m2", "cost_gbp", "receipt_gbp", "running_saving_gbp_per_yr"):
        prog[c] = prog[c].astype(float)
    prog["service_id"] = prog.service_id.fillna("")
    kept = set(sites_w.site_id[sites_w.decision == "retain"])
    s = estate.sites
    gone = prog[prog.action == "dispose"]
    report.add("every disposed site is released once, in the horizon, and no kept site is",
               sorted(gone.site_id) == sorted(set(s.index) - kept) and gone.year.between(0, p.horizon - 1).all(),
               f"programme disposals {sorted(gone.site_id)[:5]} vs plan {sorted(set(s.index) - kept)[:5]}")
    allowed = release_years(estate, p)
    early = [f"{i} in {y}" for i, y in zip(gone.site_id, gone.calendar_year) if y - p.start_year not in allowed[i]]
    report.add("leaseholds are released only at or after their lease end", not early, ", ".join(early[:4]))
    used = set(zip(alloc.service_id, alloc.site_id))
    today = set(zip(estate.occupation.service_id, estate.occupation.site_id))
    moved = prog[prog.action == "move in"]
    opened = dict(zip(zip(moved.service_id, moved.site_id), moved.year))
    missing = sorted(used - today - set(opened))
    report.add("every new home of a service has its move-in year", not missing, f"{missing[:4]}")
    release = dict(zip(gone.site_id, gone.year))
    late = [f"{k} into {s_new} in year {t_in} after leaving {s_old} in year {release[s_old]}"
            for (k, s_new), t_in in opened.items() for (k2, s_old) in today
            if k2 == k and s_old in release and release[s_old] < t_in]
    report.add("no service is left without a home in any year (new homes open before old ones go)", not late,
               "; ".join(late[:3]))
    for t in range(p.horizon):
        here = prog[prog.year == t]
        if p.budget(t) is not None:
            spend = float(here.cost_gbp.sum())
            report.add(f"capital budget year {p.start_year + t}", spend <= p.budget(t) * (1 + REL) + 1e-3,
                       f"spend £{spend:,.0f} over £{p.budget(t):,.0f}")
        if p.target(t) is not None:
            saved = float(s.running_cost_gbp[list(gone.site_id[gone.year <= t])].sum())
            report.add(f"savings target year {p.start_year + t}", saved >= p.target(t) * (1 - REL) - 1e-3,
                       f"£{saved:,.0f}/yr below £{p.target(t):,.0f}/yr")
    backlog = prog[prog.action == "clear backlog"]
    report.add("backlog of every kept site is cleared in year 0",
               sorted(backlog.site_id) == sorted(i for i in kept if s.at[i, "backlog_gbp"] > 0)
               and (backlog.year == 0).all(), "programme backlog rows differ from the kept sites with backlog")
    total, per = cash_flows(prog, s, p, options.receipts_sharing, kept)
    for name, rebuilt in (("cashflow.csv", total), ("cashflow_owners.csv", per)):
        diff = _frame_diff(name, read_table(out, name), rebuilt)
        report.add(f"{name} recomputes from the programme", not diff, diff)
    k = summary.get("kpis", {})
    travel = options.travel_weight * float(k.get("demand_weighted_travel_min") or 0.0)
    npv = programme_npv(prog, s, kept, p, options.phi, travel)
    obj = summary.get("objective")
    tol = max(REL, summary.get("gap_tolerance") or 0.0) * max(abs(npv), 1.0) + 1e-2
    report.add("objective (net present value) recomputes from the programme", obj is not None and abs(obj - npv) <= tol,
               f"summary {obj}, recomputed {npv:,.2f}")
    do_nothing = float(s.running_cost_gbp.sum()) / options.phi + float(s.backlog_gbp.sum())
    report.add("discounted cash flows add up to the NPV saving against doing nothing",
               _close(float(total.discounted_net_gbp.sum()), do_nothing - (npv - travel / options.phi), 1.0),
               f"cash flows {total.discounted_net_gbp.sum():,.2f} vs NPV difference "
               f"{do_nothing - (npv - travel / options.phi):,.2f}")
    again = programme_kpis(prog, total, p)
    diffs = [f"{n}: written {k.get(n)}, recomputed {v}" for n, v in again.items() if not _close(k.get(n), v)]
    report.add("programme KPIs recompute", not diffs, "; ".join(diffs[:3]))
    return report
