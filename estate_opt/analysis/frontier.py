"""The trade-off frontier: annual saving against access, traced exactly by the epsilon-constraint method.

Access is a service's travel standard (or the share of demand within it, or all standards scaled
together). Each point is the exact optimum with access held at one level (the epsilon constraint),
solved from the strictest level to the loosest so the previous plan, still feasible, warm-starts the
next. ``exact=True`` finds every break point instead of a grid: from the loosest standard it solves,
reads the longest trip the plan actually needs, tightens the standard to just below it, and repeats,
so every non-dominated (saving, standard) pair is found.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from estate_opt.errors import InputError, InputProblem
from estate_opt.inputs.scenario import Scenario
from estate_opt.model.solve import Status

STEP = 1e-6  # minutes: how far below the longest trip the next standard is set (exact tracing)


@dataclass
class Point:
    value: float  # the setting's value at this point
    status: Status
    plan: object = None
    folder: Path | None = None
    reason: str = ""  # why there is no plan (infeasible)
    extra: dict = field(default_factory=dict)


def parse_vary(vary: str, scenario: Scenario, estate) -> tuple[str, str]:
    """Check ``services.<id>.<setting>``, ``services.*.<setting>`` or ``standards``; return (service, setting)."""
    from estate_opt.inputs.scenario import SERVICE_OVERRIDES

    if vary == "standards":
        return "*", "scale"
    parts = vary.split(".")
    if len(parts) != 3 or parts[0] != "services" or parts[2] not in SERVICE_OVERRIDES or parts[2] == "incompatible_with":
        raise InputError(InputProblem("--vary", f"cannot vary '{vary}'",
                                      "use services.<service>.<setting> (e.g. services.gp.max_travel_min), "
                                      "services.*.<setting> or standards"))
    if parts[1] != "*" and parts[1] not in estate.services.index:
        raise InputError(InputProblem("--vary", f"no service '{parts[1]}'", "use one of: " + ", ".join(
            estate.services.index)))
    return parts[1], parts[2]


def apply(scenario: Scenario, estate, service: str, setting: str, value: float) -> Scenario:
    """A copy of the scenario with the varied setting at ``value``."""
    sc = copy.deepcopy(scenario)
    services = list(estate.services.index) if service == "*" else [service]
    for k in services:
        over = dict(sc.services.get(k, {}))
        if setting == "scale":
            std = estate.services.at[k, "max_travel_min"]
            if pd.isna(std):
                continue
            over["max_travel_min"] = float(std) * value
        else:
            over[setting] = float(value)
        sc.services[k] = over
    sc.name = f"{scenario.name} [{service}.{setting} = {value:g}]"
    return sc


def stricter_first(setting: str, values) -> list[float]:
    """Order so that each plan is feasible for the next (looser) level and can warm-start it."""
    vals = sorted({float(v) for v in values})
    return vals[::-1] if setting in ("required_share", "space_m2_per_unit", "min_site_m2", "demand_rate") else vals


def trace(scenario: Scenario, vary: str, values=None, exact: bool = False, out: Path | None = None,
          progress=lambda m: None, max_points: int = 50) -> tuple[list[Point], str, str]:
    """Solve the scenario at each level of the varied setting; return the points (and what was varied)."""
    if scenario.phasing.horizon_years:
        from estate_opt.errors import InputError, InputProblem

        raise InputError(InputProblem(str(scenario.path), "the frontier is traced for single-period plans, and this "
                                      "scenario sets phasing", "trace it on the scenario without phasing:"))
    from estate_opt.inputs.estate import load_estate

    base = load_estate(scenario)
    service, setting = parse_vary(vary, scenario, base)
    if exact:
        if setting != "max_travel_min" or service == "*":
            raise InputError(InputProblem("--exact", "exact tracing works on one service's max_travel_min",
                                          "vary services.<service>.max_travel_min, or give --values"))
        return _trace_exact(scenario, base, service, values, out, progress, max_points), service, setting
    points, start = [], None
    for value in stricter_first(setting, values):
        point, start = _solve_point(scenario, base, service, setting, value, start, out, progress)
        points.append(point)
    return sorted(points, key=lambda p: p.value), service, setting


def _solve_point(scenario, base, service, setting, value, start, out, progress):
    from estate_opt.errors import InfeasibleError, SolverError
    from estate_opt.inputs.estate import load_estate
    from estate_opt.model.formulation import ModelOptions
    from estate_opt.model.solve import values_of
    from estate_opt.results.folder import plan_meta
    from estate_opt.run import solve_estate, write_plan

    sc = apply(scenario, base, service, setting, value)
    estate = load_estate(sc)
    try:
        plan, model = solve_estate(estate, ModelOptions.from_scenario(sc), sc.solver, sc.name, start=start)
    except (InfeasibleError, SolverError) as e:
        status = Status.INFEASIBLE if isinstance(e, InfeasibleError) else Status.NO_SOLUTION
        progress(f"{setting} = {value:g}: {status.value}")
        return Point(value, status, reason=str(e)), start
    progress(f"{setting} = {value:g}: {plan.result.describe()}")
    plan.meta.update(plan_meta(sc, estate))
    folder = None
    if out is not None:
        folder = write_plan(plan, estate, sc, Path(out) / f"point-{value:.10g}", overwrite=True, pack=False)
    return Point(value, plan.result.status, plan, folder), values_of(model.problem)


def _trace_exact(scenario, base, service, values, out, progress, max_points) -> list[Point]:
    lo, hi = (min(values), max(values)) if values else (0.0, float(base.services.at[service, "max_travel_min"]))
    points, t = [], float(hi)
    while t >= lo - 1e-9 and len(points) < max_points:
        point, _ = _solve_point(scenario, base, service, "max_travel_min", t, None, out, progress)
        points.append(point)
        if point.plan is None:
            break
        a = point.plan.allocation
        longest = float(a.loc[a.service_id == service, "travel_min"].max())
        point.extra["longest_trip_min"] = longest
        t = longest - STEP  # the next non-dominated plan must serve everyone a little nearer
    return sorted(points, key=lambda p: p.value)


def frontier_table(points: list[Point], service: str, setting: str) -> pd.DataFrame:
    rows = []
    for p in points:
        row = {"value": p.value, "status": p.status.value, "reason": p.reason, "folder": str(p.folder or "")}
        if p.plan is not None:
            k = p.plan.kpis
            acc = p.plan.services if service == "*" else p.plan.services[p.plan.services.service_id == service]
            w = acc.total_demand.sum()
            row.update({"gap": p.plan.result.gap, "objective_gbp_per_yr": p.plan.result.objective,
                        "annual_equivalent_saving_gbp": k["annual_equivalent_saving_gbp"],
                        "annual_running_saving_gbp": k["annual_running_saving_gbp"],
                        "capital_receipts_gbp": k["capital_receipts_gbp"], "sites_after": k["sites_after"],
                        "mean_travel_min": float((acc.mean_travel_min_after * acc.total_demand).sum() / w)
                        if w else np.nan,
                        "longest_trip_min": float(acc.max_travel_min_after.max()),
                        "share_within_standard": float((acc.share_within_after * acc.total_demand).sum() / w)
                        if w else np.nan})
        rows.append(row)
    df = pd.DataFrame(rows)
    if "annual_equivalent_saving_gbp" in df:
        df["pareto"] = _pareto(df, setting)
    return df


def _pareto(df: pd.DataFrame, setting: str) -> pd.Series:
    """A point is on the frontier unless another gives at least the saving with at least the access.

    Access is what the plan achieves: its longest trip for a travel standard (shorter is better), its
    share within the standard for a required share (higher is better), the factor for scaled standards.
    """
    access = {"required_share": df.share_within_standard, "scale": -df.value}.get(setting, -df.longest_trip_min)
    ok = df.annual_equivalent_saving_gbp.notna()
    flags = []
    for i in df.index:
        if not ok[i]:
            flags.append(False)
            continue
        o = ok & (df.index != i)
        acc_ge = access[o] >= access[i] - 1e-9
        sav_ge = df.annual_equivalent_saving_gbp[o] >= df.annual_equivalent_saving_gbp[i] - 1e-6
        strict = (access[o] > access[i] + 1e-9) | (df.annual_equivalent_saving_gbp[o] >
                                                   df.annual_equivalent_saving_gbp[i] + 1e-6)
        same_earlier = acc_ge & sav_ge & ~strict & (df.index[o] < i)  # one point per distinct outcome
        flags.append(not (acc_ge & sav_ge & strict).any() and not same_earlier.any())
    return pd.Series(flags, index=df.index)


def write_frontier(points, service, setting, scenario: Scenario, current: float | None, out: Path) -> Path:
    """frontier.csv, frontier.png and frontier.html into ``out`` (beside the point folders)."""
    import html

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df = frontier_table(points, service, setting)
    df.to_csv(out / "frontier.csv", index=False)
    status = [Status(s) for s in df.status]  # the table holds each status as text
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    solved = df[[s.has_solution for s in status]]
    if len(solved):
        ax.plot(solved.value, solved.annual_equivalent_saving_gbp / 1e6, "o-", color="#1a9850", label="optimal plans")
        dom = solved[~solved.pareto]
        ax.plot(dom.value, dom.annual_equivalent_saving_gbp / 1e6, "x", color="#999999", label="dominated")
    infeasible = df[[s is Status.INFEASIBLE for s in status]]
    for v in infeasible.value:
        ax.axvline(v, color="#d73027", ls=":", lw=1)
    if current is not None:
        ax.axvline(current, color="#4575b4", ls="--", lw=1.2, label=f"current scenario ({current:g})")
    what = "all travel standards × factor" if setting == "scale" else f"{service}: {setting.replace('_', ' ')}"
    ax.set_xlabel(what)
    ax.set_ylabel("annual equivalent saving (£m a year)")
    ax.set_title(f"{scenario.name}: saving against access", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "frontier.png")
    plt.close(fig)
    rows = "".join(
        f"<tr><td>{r.value:g}</td><td>{html.escape(r.status)}</td><td>"
        + (f"£{r.annual_equivalent_saving_gbp:,.0f}</td><td>£{r.annual_running_saving_gbp:,.0f}</td><td>"
           f"{int(r.sites_after)}</td><td>{r.mean_travel_min:.1f}</td><td>{r.longest_trip_min:.1f}</td><td>"
           f"{'yes' if r.pareto else 'no'}</td><td>{html.escape(r.folder)}</td>"
           if s.has_solution else f"</td><td colspan=6>{html.escape(str(r.reason))[:300]}</td>")
        + "</tr>" for r, s in zip(df.itertuples(), status))
    import base64

    img = base64.b64encode((out / "frontier.png").read_bytes()).decode()
    (out / "frontier.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Frontier</title><style>body{{font-family:Arial,"
        f"sans-serif;max-width:1100px;margin:20px auto}}td,th{{border-bottom:1px solid #ddd;padding:3px 6px;"
        f"font-size:13px}}</style></head><body><h1>{html.escape(scenario.name)}: saving against access</h1>"
        f"<p>Each point is the exact optimum with <b>{html.escape(what)}</b> held at the value shown (epsilon "
        f"constraint). Red dotted lines: no plan meets that level.</p><img src='data:image/png;base64,{img}' "
        f"style='max-width:100%'><table id='frontier'><tr><th>value</th><th>status</th><th>annual equivalent "
        f"saving</th><th>running cost saved</th><th>sites kept</th><th>mean travel (min)</th><th>longest trip "
        f"(min)</th><th>on the frontier</th><th>plan</th></tr>{rows}</table></body></html>", encoding="utf-8")
    return out


def current_value(scenario: Scenario, vary: str) -> float | None:
    """The varied setting's value in the scenario itself, to mark it on the frontier."""
    from estate_opt.inputs.estate import load_estate

    estate = load_estate(scenario)
    service, setting = parse_vary(vary, scenario, estate)
    if setting == "scale":
        return 1.0
    k = estate.services.index[0] if service == "*" else service
    v = estate.services.at[k, setting]
    return None if pd.isna(v) else float(v)
