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
from estate_opt.estate import Estate, load_estate
from estate_opt.io.readers import file_hash
from estate_opt.model import ModelOptions
from estate_opt.plan import (disposal_table, kpis, moves_table, owner_table, read_table, service_access,
                             site_table, zone_access)
from estate_opt.scenario import from_dict

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
        return report
    settings = summary["settings"]
    scenario = from_dict({k: v for k, v in settings.items() if k != "path"}, Path("/"), "summary.json settings")
    estate = load_estate(scenario)
    verify_plan(estate, out, ModelOptions.from_scenario(scenario), summary, report)
    return report


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


def verify_plan(estate: Estate, out: Path, options: ModelOptions, summary: dict, report: Report | None = None) -> Report:
    """Check the plan files in ``out`` against an Estate (already loaded)."""
    report = report or Report()
    status = summary.get("status")
    report.add("solver found a plan", status in ("optimal", "feasible"), f"status is {status}")
    if status == "optimal":
        gap, tol = summary.get("gap"), summary.get("gap_tolerance") or 0.0
        report.add("optimal status has a gap within tolerance", gap is not None and gap <= tol + 1e-9,
                   f"gap {gap} above tolerance {tol}")
    sites_w = read_table(out, "sites.csv")
    alloc = read_table(out, "allocation.csv")
    for c in ("share", "demand", "travel_min"):
        alloc[c] = alloc[c].astype(float)
    alloc["within_standard"] = alloc.within_standard.astype(str).str.lower() == "true"
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

    sigma = alloc.service_id.map(estate.services.space_m2_per_unit)
    used = (alloc.assign(area=sigma * alloc.demand)).groupby("site_id").area.sum()
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
    area = alloc.assign(area=sigma * alloc.demand).groupby(["service_id", "site_id"]).area.sum()
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
    rebuilt_sites = site_table(estate, kept, alloc.assign())
    report.add("sites.csv equals what the plan implies", not _frame_diff("sites.csv", sites_w, rebuilt_sites),
               _frame_diff("sites.csv", sites_w, rebuilt_sites))
    access = service_access(estate, alloc)
    for name, rebuilt in (("disposals.csv", disposal_table(rebuilt_sites)), ("moves.csv", moves_table(estate, alloc)),
                          ("access.csv", access), ("owners.csv", owner_table(rebuilt_sites, options.phi, options.receipts_sharing)),
                          ("zone_access.csv", zone_access(estate, alloc))):
        written = read_table(out, name)
        diff = _frame_diff(name, written, rebuilt)
        report.add(f"{name} equals what the plan implies", not diff, diff)
    diff = _frame_diff("summary.json services", pd.DataFrame(summary.get("services", [])), access)
    report.add("access figures in summary.json recompute", not diff, diff)
    owners = owner_table(rebuilt_sites, options.phi, options.receipts_sharing)
    low = [f"{r.owner} {r.net_annual_position_gbp:,.0f} < {options.owner_minimum(r.owner):,.0f}"
           for r in owners.itertuples() if options.owner_minimum(r.owner) is not None
           and r.net_annual_position_gbp < options.owner_minimum(r.owner) - 1e-6 * max(1.0, abs(r.net_annual_position_gbp)) - 1e-3]
    report.add("no organisation below its minimum net position", not low, "; ".join(low[:4]))
    if options.max_travel_increase is not None or options.max_decile_travel_increase is not None:
        za = zone_access(estate, alloc)
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
    if obj is not None:
        tol = max(REL, (summary.get("gap_tolerance") or 0.0)) * max(abs(obj), 1.0) + 1e-3
        report.add("objective recomputes from the plan", abs(k["objective_gbp_per_yr"] - obj) <= tol,
                   f"summary {obj:,.4f}, recomputed {k['objective_gbp_per_yr']:,.4f}")
    return report
