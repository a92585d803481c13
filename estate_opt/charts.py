"""Charts for the board pack (matplotlib PNG): who gains and gives, and how far residents travel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estate_opt.maps import DECISION_COLOURS


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    return plt, FuncFormatter(lambda v, _: f"£{v / 1e6:,.1f}m" if abs(v) >= 1e6 else f"£{v / 1e3:,.0f}k")


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
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
