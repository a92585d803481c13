"""Charts for the board pack (matplotlib PNG): who gains and gives, and how far residents travel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estate_opt.outputs.maps import DECISION_COLOURS


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    return plt, FuncFormatter(lambda v, _: f"£{v / 1e6:,.1f}m" if abs(v) >= 1e6 else f"£{v / 1e3:,.0f}k")


def _save(plt, fig, path) -> None:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_owners_png(plan, path) -> None:
    """Annual running cost saved and capital receipts, by organisation."""
    plt, money = _plt()
    o = plan.owners.sort_values("annual_saving_gbp")
    o = o[(o.annual_saving_gbp > 0) | (o.receipts_gbp > 0) | (o.move_cost_gbp > 0)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * max(len(o), 3) + 1.5), dpi=120, sharey=True)
    names = [n if len(n) <= 40 else n[:38] + "…" for n in o.owner]
    axes[0].barh(names, o.annual_saving_gbp, color=DECISION_COLOURS["retain"])
    axes[0].set_title("Running cost saved (£ a year)", fontsize=10)
    axes[1].barh(names, o.receipts_gbp, color="#4575b4", label="capital receipts")
    axes[1].barh(names, -o.move_cost_gbp, color=DECISION_COLOURS["dispose"], label="move and fit-out cost")
    axes[1].set_title("One-off: receipts (+) and move costs (−), £", fontsize=10)
    axes[1].legend(fontsize=8, loc="lower right")
    for ax in axes:
        ax.xaxis.set_major_formatter(money)
        ax.tick_params(labelsize=8)
        ax.axvline(0, color="#333333", lw=0.6)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{plan.scenario}: who gains and who gives", fontsize=11)
    _save(plt, fig, path)


def write_travel_png(plan, estate, path) -> None:
    """Per service: how many residents travel how long, today and under the plan (demand-weighted)."""
    plt, _ = _plt()
    services = list(plan.services.service_id)
    n = max(len(services), 1)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.6 * rows + 0.6), dpi=120, squeeze=False)
    base, alloc = estate.baseline, plan.allocation
    for ax, k in zip(axes.flat, services):
        b = base[base.service_id == k]
        a = alloc[alloc.service_id == k]
        top = float(np.nanmax([b.minutes.max() if len(b) else 0, a.travel_min.max() if len(a) else 0, 1]))
        bins = np.linspace(0, top * 1.05, 16)
        ax.hist(b.minutes, bins=bins, weights=b.demand, histtype="step", lw=1.6, color="#555555", label="today")
        ax.hist(a.travel_min, bins=bins, weights=a.demand, histtype="stepfilled", alpha=0.45,
                color=DECISION_COLOURS["retain"], label="plan")
        std = plan.services.set_index("service_id").at[k, "standard_min"]
        if pd.notna(std):
            ax.axvline(std, color=DECISION_COLOURS["dispose"], ls="--", lw=1, label=f"standard {std:g} min")
        unit = plan.services.set_index("service_id").at[k, "demand_unit"]
        ax.set_title(str(k), fontsize=9)
        ax.set_xlabel("minutes", fontsize=8)
        ax.set_ylabel(f"{unit}s", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(services):]:
        ax.set_axis_off()
    fig.suptitle(f"{plan.scenario}: travel time to each service, today and under the plan", fontsize=10)
    _save(plt, fig, path)


def write_programme_png(plan, path) -> None:
    """Gantt-style programme: each building that goes runs until its release year; service moves marked."""
    plt, _ = _plt()
    prog = plan.programme
    p0 = int(plan.kpis["programme_start_year"])
    years = int(plan.kpis["programme_years"])
    gone = prog[prog.action == "dispose"].sort_values(["owner", "calendar_year", "site_name"])
    moves = prog[prog.action.isin(["move in", "fit out"])]
    rows = list(dict.fromkeys([*gone.site_id, *moves.site_id]))
    names = plan.sites.set_index("site_id")["name"].to_dict()
    owners = sorted(prog.owner.dropna().unique())
    palette = plt.get_cmap("tab10")
    colour = {o: palette(i % 10) for i, o in enumerate(owners)}
    owner_of = dict(zip(prog.site_id, prog.owner))
    fig, ax = plt.subplots(figsize=(11, 0.32 * max(len(rows), 4) + 1.6), dpi=120)
    for i, s in enumerate(rows):
        end = gone.calendar_year[gone.site_id == s]
        if len(end):
            ax.barh(i, int(end.iloc[0]) - p0, left=p0, color=colour[owner_of[s]], alpha=0.75, height=0.6)
            ax.plot(int(end.iloc[0]), i, marker="x", color="#b2182b", ms=7)
        for y in moves.calendar_year[moves.site_id == s]:
            ax.plot(int(y), i, marker=">", color="#1a9850", ms=8)
    ax.set_yticks(range(len(rows)), [(names.get(s, s)[:38] + ("…" if len(names.get(s, s)) > 38 else "")) for s in rows],
                  fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(p0 - 0.3, p0 + years + 0.3)
    ax.set_xticks(range(p0, p0 + years + 1))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[o], alpha=0.75) for o in owners]
    handles += [plt.Line2D([], [], marker="x", color="#b2182b", ls=""), plt.Line2D([], [], marker=">",
                                                                                    color="#1a9850", ls="")]
    ax.legend(handles, [*owners, "released (start of year)", "service moves in / fitted out"], fontsize=7,
              loc="lower right")
    ax.set_title(f"{plan.scenario}: the programme — bars run until each building is released", fontsize=10)
    _save(plt, fig, path)


def write_cashflow_png(plan, path) -> None:
    """Net cash against doing nothing, year by year, with the cumulative total and the payback year."""
    plt, money = _plt()
    c = plan.cashflow
    c = c[c.year < max(int(plan.kpis["programme_years"]) + 5, 12)]
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=120)
    ax.bar(c.calendar_year, c.net_gbp, color=np.where(c.net_gbp >= 0, "#4575b4", DECISION_COLOURS["dispose"]),
           label="net saving that year")
    ax.plot(c.calendar_year, c.cumulative_net_gbp, color="#333333", marker="o", ms=3, label="cumulative")
    payback = plan.kpis.get("payback_year")
    if payback is not None and payback in set(c.calendar_year):
        ax.axvline(payback, color="#1a9850", ls="--", lw=1, label=f"payback {payback}")
    ax.axhline(0, color="#333333", lw=0.6)
    ax.yaxis.set_major_formatter(money)
    ax.set_xticks(list(c.calendar_year))
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{plan.scenario}: cash against doing nothing (running costs saved, backlog avoided and receipts, "
                 "less move costs)", fontsize=9)
    _save(plt, fig, path)
