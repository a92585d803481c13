"""A plan: which sites stay, where each zone's demand is served, and every table derived from that.

Everything here is computed from two things only — the set of kept sites and the allocation
(zone, service, site, demand) — plus the Estate. The solver's output is read once
(:func:`decisions_from_model`); ``verify`` rebuilds the same tables from the written files and
compares, so what a board reads is what the inputs and the plan imply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estate_opt.inputs.estate import Estate
from estate_opt.model.formulation import EstateModel, ModelOptions
from estate_opt.model.solve import SolveResult

SHARE_EPS = 1e-6  # shares below this are solver noise (feasibility tolerance ~1e-7), not service


@dataclass
class Plan:
    scenario: str
    result: SolveResult
    sites: pd.DataFrame
    disposals: pd.DataFrame
    moves: pd.DataFrame
    allocation: pd.DataFrame
    kpis: dict
    services: pd.DataFrame  # per-service access before/after
    owners: pd.DataFrame  # per-organisation impact
    zones: pd.DataFrame  # per zone and service: travel before/after
    assumptions: pd.DataFrame | None = None
    meta: dict = field(default_factory=dict)
    programme: pd.DataFrame | None = None  # phased plans: every action with its year (see phasing)
    cashflow: pd.DataFrame | None = None  # phased plans: year-by-year cash flow against doing nothing
    cashflow_owners: pd.DataFrame | None = None  # the same per organisation


def decisions_from_model(model: EstateModel) -> tuple[pd.Index, pd.DataFrame]:
    """Kept sites and the allocation, read from a solved model."""
    keep = pd.Series({s: (v.varValue or 0.0) for s, v in model.keep.items()})
    kept = keep.index[keep > 0.5]
    return kept, allocation_from_model(model)


def allocation_from_model(model: EstateModel) -> pd.DataFrame:
    """The allocation in a solved model: noise-level shares dropped, each zone's shares summing to 1."""
    p = model.pairs
    share = np.array([x.varValue or 0.0 for x in p.x])
    alloc = p.loc[share > SHARE_EPS, ["zone_id", "service_id", "site_id", "minutes", "demand", "within"]].copy()
    alloc["share"] = np.clip(share[share > SHARE_EPS], 0.0, 1.0)
    alloc["share"] /= alloc.groupby(["zone_id", "service_id"]).share.transform("sum")
    return allocation_table(alloc)


def allocation_table(alloc: pd.DataFrame) -> pd.DataFrame:
    """zone_id, service_id, site_id, share, demand (served there), travel_min, within_standard."""
    out = pd.DataFrame({
        "zone_id": alloc.zone_id.to_numpy(), "service_id": alloc.service_id.to_numpy(),
        "site_id": alloc.site_id.to_numpy(), "share": alloc.share.to_numpy(float),
        "demand": (alloc.demand * alloc.share).to_numpy(float), "travel_min": alloc.minutes.to_numpy(float),
        "within_standard": alloc.within.to_numpy(bool)})
    return out.sort_values(["service_id", "zone_id", "site_id"]).reset_index(drop=True)


def area_by_service_site(estate: Estate, allocation: pd.DataFrame) -> pd.Series:
    """Floor area each service needs at each site under an allocation (m²), indexed (service, site)."""
    sigma = allocation.service_id.map(estate.services.space_m2_per_unit)
    return (allocation.assign(area=sigma * allocation.demand)
            .groupby(["service_id", "site_id"]).area.sum())


def site_table(estate: Estate, kept, allocation: pd.DataFrame) -> pd.DataFrame:
    """sites.csv: one row per input site with its decision and figures before and after."""
    s = estate.sites
    occ = estate.occupation
    before_services = occ.groupby("site_id").service_id.agg(lambda v: ";".join(sorted(v)))
    after_services = allocation.groupby("site_id").service_id.agg(lambda v: ";".join(sorted(set(v))))
    used_before = occ.groupby("site_id").floor_area_m2.sum()
    area = area_by_service_site(estate, allocation)
    used_after = area.groupby(level="site_id").sum()
    today = occ.set_index(["service_id", "site_id"]).floor_area_m2
    growth = (area - today.reindex(area.index).fillna(0.0)).clip(lower=0.0)
    fit_out = growth.groupby(level="site_id").sum()
    m = growth.index.get_level_values("service_id").map(estate.services.move_cost_gbp_per_m2)
    move_cost = (growth * np.asarray(m, float)).groupby(level="site_id").sum()
    kept = set(kept)
    out = pd.DataFrame({
        "site_id": s.index, "name": s.name.to_numpy(), "owner": s.owner.to_numpy(),
        "owner_type": s.owner_type.to_numpy(), "site_type": s.site_type.to_numpy(),
        "decision": ["retain" if i in kept else "dispose" for i in s.index],
        "fixed_reason": s.fixed_reason.to_numpy(),
        "floor_area_m2": s.floor_area_m2.to_numpy(), "capacity_m2": s.capacity_m2.to_numpy(),
        "area_used_before_m2": used_before.reindex(s.index).fillna(0.0).to_numpy(),
        "area_used_after_m2": used_after.reindex(s.index).fillna(0.0).to_numpy(),
        "fit_out_m2": fit_out.reindex(s.index).fillna(0.0).to_numpy(),
        "move_cost_gbp": move_cost.reindex(s.index).fillna(0.0).to_numpy(),
        "running_cost_gbp": s.running_cost_gbp.to_numpy(), "backlog_gbp": s.backlog_gbp.to_numpy(),
        "carbon_tco2e_per_yr": s.carbon_tco2e_per_yr.to_numpy(float),
        "disposal_value_gbp": s.disposal_value_gbp.to_numpy(), "disposal_cost_gbp": s.disposal_cost_gbp.to_numpy(),
        "net_receipt_gbp": s.net_receipt_gbp.to_numpy(),
        "services_before": before_services.reindex(s.index).fillna("").to_numpy(),
        "services_after": after_services.reindex(s.index).fillna("").to_numpy(),
        "easting": s.x.round(1).to_numpy(), "northing": s.y.round(1).to_numpy(),
    })
    return out.reset_index(drop=True)


def disposal_table(sites: pd.DataFrame) -> pd.DataFrame:
    """disposals.csv: the disposal list, largest annual saving first."""
    d = sites[sites.decision == "dispose"]
    out = pd.DataFrame({
        "site_id": d.site_id, "name": d.name, "owner": d.owner, "owner_type": d.owner_type,
        "floor_area_m2": d.floor_area_m2, "annual_saving_gbp": d.running_cost_gbp,
        "backlog_avoided_gbp": d.backlog_gbp, "disposal_value_gbp": d.disposal_value_gbp,
        "disposal_cost_gbp": d.disposal_cost_gbp, "receipt_gbp": d.net_receipt_gbp,
        "services_moving_out": d.services_before, "fixed_reason": d.fixed_reason})
    return out.sort_values(["annual_saving_gbp", "site_id"], ascending=[False, True]).reset_index(drop=True)


def moves_table(estate: Estate, allocation: pd.DataFrame) -> pd.DataFrame:
    """moves.csv: where each service goes from a site it leaves.

    A service leaves a site when it is there today but serves no demand there in the plan. Its
    floor area today follows its users: each zone's share of today's use of the site is sent
    where that zone is served in the plan. A site nobody used today sends its area to the
    plan's largest host of that service.
    """
    after = set(zip(allocation.service_id, allocation.site_id))
    cols = ["service_id", "from_site_id", "to_site_id", "demand_moved", "floor_area_m2"]
    rows = []
    base = estate.baseline
    zone_demand = estate.demand.set_index(["zone_id", "service_id"]).demand
    for k, s, q in estate.occupation[["service_id", "site_id", "floor_area_m2"]].itertuples(index=False):
        if (k, s) in after:
            continue
        users = base[(base.service_id == k) & (base.site_id == s)]
        used = users.demand / zone_demand.reindex(list(zip(users.zone_id, users.service_id))).to_numpy()
        share = pd.Series(used.to_numpy(), index=users.zone_id.to_numpy())  # zone's share of its demand used here
        now = allocation[(allocation.service_id == k) & allocation.zone_id.isin(share.index)]
        flows = (now.demand * now.zone_id.map(share)).groupby(now.site_id).sum()
        if flows.sum() <= 0:
            hosts = allocation[allocation.service_id == k].groupby("site_id").demand.sum()
            if hosts.empty:
                rows.append((k, s, "", 0.0, q))
                continue
            flows = pd.Series({hosts.idxmax(): 0.0})
            weights = pd.Series({hosts.idxmax(): 1.0})
        else:
            weights = flows / flows.sum()
        for to, w in weights.items():
            rows.append((k, s, to, float(flows[to]), float(q * w)))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["service_id", "from_site_id", "to_site_id"]).reset_index(drop=True)


def service_access(estate: Estate, allocation: pd.DataFrame) -> pd.DataFrame:
    """Per service: demand, share within the standard and mean/max travel, before and after."""
    rows = []
    base = estate.baseline
    for k, svc in estate.services.iterrows():
        std = svc.max_travel_min
        b = base[base.service_id == k]
        a = allocation[allocation.service_id == k]
        total = float(svc.total_demand)

        def within(df, col_demand="demand", col_min="minutes", std=std):
            if np.isnan(std):
                return float(df[col_demand].sum())
            return float(df.loc[df[col_min] <= std + 1e-9, col_demand].sum())

        def mean(df, col_min):
            w = df.demand.sum()
            return float((df.demand * df[col_min]).sum() / w) if w > 0 else float("nan")

        b_known = b[b.minutes.notna()]
        rows.append({
            "service_id": k, "name": svc["name"], "demand_unit": svc.demand_unit, "total_demand": total,
            "standard_min": std, "required_share": svc.required_share,
            "sites_before": int(estate.occupation.service_id.eq(k).sum()),
            "sites_after": int(a.site_id.nunique()),
            "within_standard_before": within(b_known), "within_standard_after": within(a, col_min="travel_min"),
            "share_within_before": within(b_known) / total if total else float("nan"),
            "share_within_after": within(a, col_min="travel_min") / total if total else float("nan"),
            "mean_travel_min_before": mean(b_known, "minutes"), "mean_travel_min_after": mean(a, "travel_min"),
            "max_travel_min_before": float(b_known.minutes.max()) if len(b_known) else float("nan"),
            "max_travel_min_after": float(a.travel_min.max()) if len(a) else float("nan"),
        })
    return pd.DataFrame(rows)


def zone_access(estate: Estate, allocation: pd.DataFrame) -> pd.DataFrame:
    """zone_access.csv: per zone and service, mean travel before and after and the change (minutes)."""
    def mean_minutes(df, col):
        w = df.demand * df[col]
        g = pd.DataFrame({"w": w, "d": df.demand, "zone_id": df.zone_id, "service_id": df.service_id})
        g = g.groupby(["zone_id", "service_id"])[["w", "d"]].sum()
        return g.w / g.d

    demand = estate.demand.set_index(["zone_id", "service_id"]).demand
    before = mean_minutes(estate.baseline, "minutes").reindex(demand.index)
    after = mean_minutes(allocation, "travel_min").reindex(demand.index)
    std = demand.index.get_level_values("service_id").map(estate.services.max_travel_min).to_numpy(float)
    out = pd.DataFrame({
        "zone_id": demand.index.get_level_values("zone_id"), "service_id": demand.index.get_level_values("service_id"),
        "demand": demand.to_numpy(float), "travel_before_min": before.to_numpy(float),
        "travel_after_min": after.to_numpy(float)})
    out["change_min"] = out.travel_after_min - out.travel_before_min
    out["within_standard_after"] = np.isnan(std) | (out.travel_after_min <= std + 1e-9)
    return out.sort_values(["service_id", "zone_id"]).reset_index(drop=True)


def owner_table(sites: pd.DataFrame, phi: float, sharing: str = "owner") -> pd.DataFrame:
    """Per organisation: sites, floor area, running cost and receipts before and after, and its net annual
    position (running cost saved + annualised backlog avoided and share of receipts - annualised moves)."""
    from estate_opt.model.formulation import receipt_shares

    g = sites.assign(kept=sites.decision == "retain", gone=sites.decision == "dispose").set_index("site_id",
                                                                                                   drop=False)
    shares = receipt_shares(g, sharing)
    pooled = (g.net_receipt_gbp * g.gone).to_numpy()
    rows = []
    for owner, d in g.groupby("owner", sort=True):
        k, x = d[d.kept], d[d.gone]
        shared = float((pooled * shares[owner].to_numpy()).sum())
        rows.append({
            "owner": owner, "owner_type": d.owner_type.iloc[0], "sites_before": len(d), "sites_after": len(k),
            "floor_area_before_m2": d.floor_area_m2.sum(), "floor_area_after_m2": k.floor_area_m2.sum(),
            "running_cost_before_gbp": d.running_cost_gbp.sum(), "running_cost_after_gbp": k.running_cost_gbp.sum(),
            "annual_saving_gbp": x.running_cost_gbp.sum(), "receipts_gbp": x.net_receipt_gbp.sum(),
            "receipts_shared_gbp": shared, "move_cost_gbp": k.move_cost_gbp.sum(),
            "net_annual_position_gbp": x.running_cost_gbp.sum() + phi * (shared + x.backlog_gbp.sum())
            - phi * k.move_cost_gbp.sum(),
        })
    return pd.DataFrame(rows)


def kpis(estate: Estate, sites: pd.DataFrame, allocation: pd.DataFrame, options: ModelOptions) -> dict:
    """Headline figures before and after, every one recomputable from the written tables."""
    kept = sites[sites.decision == "retain"]
    gone = sites[sites.decision == "dispose"]
    phi = options.phi
    cost_before = float(sites.running_cost_gbp.sum() + phi * sites.backlog_gbp.sum())
    move_cost = float(sites.move_cost_gbp.sum())
    cost_after = float(kept.running_cost_gbp.sum() + phi * kept.backlog_gbp.sum()
                       - phi * gone.net_receipt_gbp.sum() + phi * move_cost)
    travel = float((allocation.demand * allocation.travel_min).sum())
    carbon = sites.carbon_tco2e_per_yr
    has_carbon = carbon.notna()
    return {
        "sites_before": len(sites), "sites_after": len(kept), "sites_disposed": len(gone),
        "floor_area_before_m2": float(sites.floor_area_m2.sum()), "floor_area_after_m2": float(kept.floor_area_m2.sum()),
        "running_cost_before_gbp_per_yr": float(sites.running_cost_gbp.sum()),
        "running_cost_after_gbp_per_yr": float(kept.running_cost_gbp.sum()),
        "annual_running_saving_gbp": float(gone.running_cost_gbp.sum()),
        "capital_receipts_gbp": float(gone.net_receipt_gbp.sum()),
        "gross_disposal_value_gbp": float(gone.disposal_value_gbp.sum()),
        "backlog_before_gbp": float(sites.backlog_gbp.sum()), "backlog_after_gbp": float(kept.backlog_gbp.sum()),
        "fit_out_m2": float(sites.fit_out_m2.sum()), "move_cost_gbp": move_cost,
        "capital_spend_gbp": float(kept.backlog_gbp.sum()) + move_cost,
        "annuity_factor": phi,
        "annual_equivalent_cost_before_gbp": cost_before, "annual_equivalent_cost_after_gbp": cost_after,
        "annual_equivalent_saving_gbp": cost_before - cost_after,
        "carbon_sites_with_data": int(has_carbon.sum()),
        "carbon_before_tco2e": float(carbon.sum()) if has_carbon.any() else None,
        "carbon_after_tco2e": float(carbon[sites.decision == "retain"].sum()) if has_carbon.any() else None,
        "demand_weighted_travel_min": travel,
        "objective_gbp_per_yr": cost_after + options.travel_weight * travel,
    }


TEXT_COLUMNS = ("site_id", "zone_id", "service_id", "from_site_id", "to_site_id", "owner", "owner_type", "name",
                "site_type", "decision", "services_before", "services_after", "fixed_reason", "services_moving_out",
                "demand_unit", "question", "status", "method", "reason")


def read_table(out, name: str) -> pd.DataFrame:
    """A written plan table, ids and text as strings (blank = ''), numbers as numbers."""
    from pathlib import Path

    df = pd.read_csv(Path(out) / name, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False,
                     na_values={c: [""] for c in ()})
    for c in df.columns:
        if c not in TEXT_COLUMNS and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])):
            num = pd.to_numeric(df[c].where(df[c] != "", np.nan), errors="coerce")
            if num.notna().sum() == (df[c] != "").sum():
                df[c] = num  # a numeric column with blanks (e.g. no standard) reads as NaN
    return df


def make_plan(estate: Estate, kept, allocation: pd.DataFrame, options: ModelOptions, result: SolveResult,
              scenario_name: str) -> Plan:
    """Every table and KPI of a plan, from the kept sites and the allocation."""
    sites = site_table(estate, kept, allocation)
    return Plan(scenario=scenario_name, result=result, sites=sites, disposals=disposal_table(sites),
                moves=moves_table(estate, allocation), allocation=allocation,
                kpis=kpis(estate, sites, allocation, options), services=service_access(estate, allocation),
                owners=owner_table(sites, options.phi, options.receipts_sharing), zones=zone_access(estate, allocation),
                assumptions=estate.assumptions)
