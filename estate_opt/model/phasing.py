r"""Phasing: the plan as a year-by-year programme that respects leases, budgets and money over time.

The end state is the estate model's (which sites stay, which services each hosts, who goes where);
phasing adds *when*, over a horizon of :math:`T` programme years :math:`t = 0 \dots T-1`
(calendar year = ``start_year + t``). Actions happen at the start of a year; running costs are paid
through the year and counted at its end (Green Book discounting, :math:`\delta_t = (1+r)^{-t}`).

Variables
---------
- :math:`r_{st} \in \{0,1\}`: site *s* released at the start of year *t*;
  :math:`\sum_t r_{st} = 1 - y_s`. Only in its allowed years: a leasehold from the first year
  starting on or after its ``lease_end`` (break or expiry); a freehold any year.
- :math:`f_{kst} \in \{0,1\}`: service *k* moves into (or is fitted out at) site *s* in year *t*:
  :math:`\sum_t f_{kst} = h_{ks}` for a new home, :math:`\le h_{ks}` for extra space at a current one.
- :math:`g_{kst} \ge 0`: the fit-out area of that move, :math:`\sum_t g_{kst} = g_{ks}`,
  :math:`g_{kst} \le a_s f_{kst}`.

Constraints
-----------
- No one is left without a service: every new home of *k* opens no later than any current home
  of *k* is released, :math:`\sum_{\tau \le t} r_{s\tau} \le \sum_{\tau \le t} f_{ks'\tau} + 1 - \sum_\tau f_{ks'\tau}`.
  (A released site's residents move to the plan's homes, all of which are open by then.)
- Yearly capital: :math:`[t = 0] \sum_s b_s y_s + \sum_{k,s} m_k g_{kst} \le B_t` (backlog of kept
  sites is cleared in year 0, like the single-period plan's).
- Yearly savings target: :math:`\sum_s c_s \sum_{\tau \le t} r_{s\tau} \ge S_t`.

Objective: net present value (£)
--------------------------------
.. math::
    \min \sum_s c_s \Big(P_A y_s + \sum_t P_t r_{st}\Big) + \sum_s b_s y_s
      - \sum_{s,t} v_s \delta_t r_{st} + \sum_{k,s,t} m_k \delta_t g_{kst} + w P_A \sum_A d t x

with :math:`P_t = \sum_{\tau=1}^{t} \delta_\tau` (running cost of years :math:`0 \dots t-1`) and
:math:`P_A = 1/\varphi` over the appraisal period. With :math:`T = 1` and no lease limits every
release is in year 0 and the objective is exactly :math:`P_A` times the single-period one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from estate_opt.inputs.estate import Estate
from estate_opt.model.formulation import (
    Elastic,
    EstateModel,
    Family,
    ModelOptions,
    _each,
    _sum,
    add_families,
    receipt_shares,
    safe,
)

PROGRAMME_COLUMNS = ["year", "calendar_year", "action", "site_id", "site_name", "owner", "service_id",
                     "area_m2", "cost_gbp", "receipt_gbp", "running_saving_gbp_per_yr"]


@dataclass
class PhasingOptions:
    horizon: int  # programme years
    start_year: int
    rate: float  # discount rate
    appraisal_years: int
    capital_budget: list = field(default_factory=list)  # £ per year (missing years: no limit)
    min_annual_saving: list = field(default_factory=list)  # £/yr of running cost saved by each year

    @classmethod
    def from_scenario(cls, sc) -> PhasingOptions | None:
        p = sc.phasing
        if not p.horizon_years:
            return None
        return cls(int(p.horizon_years), int(p.start_year or dt.date.today().year), sc.economics.discount_rate,
                   sc.economics.appraisal_years, [float(v) for v in p.capital_budget_gbp],
                   [float(v) for v in p.min_annual_saving_gbp])

    def discount(self, t) -> np.ndarray:
        return (1.0 + self.rate) ** -np.asarray(t, dtype=float)

    def running_pv(self, years: int) -> float:
        """Present value of £1 a year paid at the end of each of ``years`` years."""
        return float(self.discount(np.arange(1, years + 1)).sum())

    def budget(self, t: int) -> float | None:
        b = self.capital_budget
        return (b[t] if t < len(b) else None) if len(b) != 1 else b[0]

    def target(self, t: int) -> float | None:
        return self.min_annual_saving[t] if t < len(self.min_annual_saving) else None


@dataclass
class Programme:
    """The phasing variables added to a built model."""

    options: PhasingOptions
    release: dict  # (site, t) -> r
    movein: dict  # (service, site, t) -> f
    fitout: dict  # (service, site, t) -> g (m²)
    model: EstateModel | None = None  # the end-state model the programme phases
    allowed: dict = field(default_factory=dict)  # site -> its allowed release years
    movers: list = field(default_factory=list)  # (service, site) that may move in or be fitted out


def release_years(estate: Estate, p: PhasingOptions) -> dict:
    """Each site's allowed release years: a leasehold from its lease end (break or expiry) on."""
    out = {}
    for s, site in estate.sites.iterrows():
        first = 0
        end = site.lease_end if site.tenure == "leasehold" else None
        if end is not None and not pd.isna(end):
            first_year = end.year + (0 if (end.month, end.day) == (1, 1) else 1)
            first = max(0, first_year - p.start_year)
        out[s] = list(range(first, p.horizon))
    return out


def check_programme(estate: Estate, p: PhasingOptions) -> list[str]:
    """What the programme certainly cannot do, in words (before any solve)."""
    allowed = release_years(estate, p)
    stuck = [s for s in estate.sites.index[estate.sites.fixed == "dispose"] if not allowed[s]]
    if stuck:
        ends = ", ".join(f"{s} ({estate.sites.at[s, 'lease_end']})" for s in stuck[:6])
        return [(f"sites that must go hold leases running past the programme's last year "
                 f"{p.start_year + p.horizon - 1}: {ends}; lengthen phasing.horizon_years or clear must_dispose")]
    return []


def add_programme(model: EstateModel, estate: Estate, p: PhasingOptions, options: ModelOptions) -> Programme:
    """Add release years, move-in years, yearly budgets and targets; make the objective the NPV."""
    prob = model.problem
    sites, services = estate.sites, estate.services
    years = range(p.horizon)
    allowed = release_years(estate, p)
    release = {(s, t): prob.add_variable(f"Phase-release_{safe(s)}_{t}", cat=pulp.LpBinary)
               for s in sites.index for t in allowed[s]}
    today = _today(estate)
    fitted = set(model.fitout.index)
    movers = [(k, s) for (k, s) in model.host.index if ((k, s) not in today or (k, s) in fitted)
              and sites.at[s, "fixed"] != "dispose"]
    movein = {(k, s, t): prob.add_variable(f"Phase-movein_{safe(k)}_{safe(s)}_{t}", cat=pulp.LpBinary)
              for k, s in movers for t in years}
    fit = {(k, s, t): prob.add_variable(f"Phase-fitout_{safe(k)}_{safe(s)}_{t}", 0)
           for k, s in movers if (k, s) in fitted for t in years}
    prog = Programme(p, release, movein, fit, model, allowed, movers)
    # Rows in the order the programme has always had them (per mover: its move-in, fit-out years and their
    # sum; per year: capital, then saving): the solver breaks ties by row order, so plans stay as they were.
    rank = {ks: i for i, ks in enumerate(movers)}
    place = {"Phase-release_once": lambda ids: (0,), "Phase-movein_once": lambda ids: (1, rank[ids], 0),
             "Phase-fitout_link": lambda ids: (1, rank[ids[:2]], 1, ids[2]),
             "Phase-fitout_sum": lambda ids: (1, rank[ids], 2), "Phase-order": lambda ids: (2,),
             "Phase-capital": lambda ids: (3, ids[0], 0), "Phase-saving": lambda ids: (3, ids[0], 1)}
    add_families(model, PHASE_FAMILIES, prog, estate, order=lambda key, ids: place[key](ids))

    pa = 1.0 / options.phi
    disc = p.discount(np.arange(p.horizon))
    run_pv = [p.running_pv(t) for t in years]
    move_rate = services.move_cost_gbp_per_m2
    npv = _sum(model.keep, sites.running_cost_gbp * pa + sites.backlog_gbp)
    npv = npv + _sum(list(release.values()), [sites.at[s, "running_cost_gbp"] * run_pv[t]
                                              - sites.at[s, "net_receipt_gbp"] * disc[t] for s, t in release])
    if fit:
        npv = npv + _sum(list(fit.values()), [move_rate[k] * disc[t] for k, s, t in fit])
    objective = npv + options.travel_weight * pa * model.travel if options.travel_weight else npv
    prob.setObjective(objective)
    return prog


def define_release_once(prog: Programme, estate: Estate):
    """P1. A site not kept is released exactly once, in one of its allowed years."""
    for s, y in prog.model.keep.items():
        yield (s,), _sum([prog.release[s, t] for t in prog.allowed[s]]) + y == 1


def define_movein_once(prog: Programme, estate: Estate):
    """P2. A service moves into a new home exactly once; into more space at a current home at most once."""
    today, years = _today(estate), range(prog.options.horizon)
    for k, s in prog.movers:
        f, h = _sum([prog.movein[k, s, t] for t in years]), prog.model.host[(k, s)]
        yield (k, s), (f - h == 0 if (k, s) not in today else f - h <= 0)


def define_fitout_link(prog: Programme, estate: Estate):
    """P3. Fit-out happens only in the year of the move (m²)."""
    for (k, s, t), g in prog.fitout.items():
        yield (k, s, t), g - float(estate.sites.at[s, "capacity_m2"]) * prog.movein[k, s, t] <= 0


def define_fitout_sum(prog: Programme, estate: Estate):
    """P4. The yearly fit-outs add up to the plan's (m²)."""
    years, fitted = range(prog.options.horizon), set(prog.model.fitout.index)
    for k, s in prog.movers:
        if (k, s) in fitted:
            yield (k, s), _sum([prog.fitout[k, s, t] for t in years]) - prog.model.fitout[(k, s)] == 0


def define_order(prog: Programme, estate: Estate):
    """P5. No one left without a service: a current home is released only once every new home is open."""
    years, allowed = range(prog.options.horizon), prog.allowed
    new_homes: dict[str, list] = {}
    for k, s in prog.movers:
        new_homes.setdefault(k, []).append(s)
    for k, s_old in sorted(_today(estate)):
        if not allowed.get(s_old):
            continue
        for s_new in new_homes.get(k, []):
            if s_new == s_old:
                continue
            opened = [prog.movein[k, s_new, t] for t in years]
            for t in allowed[s_old]:
                gone = [prog.release[s_old, u] for u in allowed[s_old] if u <= t]
                yield (k, s_old, s_new, t), _sum(gone) - _sum(opened[: t + 1]) + _sum(opened) <= 1


def define_yearly_capital(prog: Programme, estate: Estate):
    """P6. Each year's capital (year 0: kept sites' backlog; every year: fit-out) stays within its budget (£)."""
    rate = estate.services.move_cost_gbp_per_m2
    for t in range(prog.options.horizon):
        if prog.options.budget(t) is None:
            continue
        moves = [(g, k) for (k, s, u), g in prog.fitout.items() if u == t]
        spend = _sum([g for g, _ in moves], [rate[k] for _, k in moves])
        if t == 0:
            spend = spend + _sum(prog.model.keep, estate.sites.backlog_gbp)
        yield (t,), spend <= prog.options.budget(t)


def define_yearly_saving(prog: Programme, estate: Estate):
    """P7. Running cost saved by each year's releases so far reaches that year's target (£/yr)."""
    sites, allowed = estate.sites, prog.allowed
    for t in range(prog.options.horizon):
        if prog.options.target(t) is None:
            continue
        gone = [(s, u) for s in sites.index for u in allowed[s] if u <= t]
        yield (t,), _sum([prog.release[s, u] for s, u in gone],
                         [sites.at[s, "running_cost_gbp"] for s, _ in gone]) >= prog.options.target(t)


def _yearly(what: str, setting: str):
    def say(m, estate, ids, sign, amount) -> str:
        t, = ids
        return f"programme year {t}: {what.format(amount=amount)} ({setting})"
    return say


PHASE_FAMILIES = (
    Family("Phase-release_once", "P1", "Release once",
           "`Σ_t r[s,t] = 1 − y[s]` over `s`'s allowed years (a leasehold from its `lease_end`).", define_release_once),
    Family("Phase-movein_once", "P2", "Move in once",
           "`Σ_t f[k,s,t] = h[k,s]` for a new home, `≤ h[k,s]` for more space at a current one.", define_movein_once),
    Family("Phase-fitout_link", "P3", "Fit-out in the move's year", "`g[k,s,t] ≤ a[s] f[k,s,t]` (m²).",
           define_fitout_link),
    Family("Phase-fitout_sum", "P4", "Fit-out adds up", "`Σ_t g[k,s,t] = g[k,s]` (m²).", define_fitout_sum),
    Family("Phase-order", "P5", "Nobody without a service",
           "`Σ_{τ≤t} r[s,τ] ≤ Σ_{τ≤t} f[k,s',τ] + 1 − Σ_τ f[k,s',τ]` for every current home `s` of `k` and every "
           "possible new home `s'` (all new homes open before any old one goes).", define_order),
    Family("Phase-capital", "P6", "Yearly capital",
           "`[t = 0] Σ_s b[s] y[s] + Σ_{k,s} m[k] g[k,s,t] ≤ B[t]` (£; `phasing.capital_budget_gbp`).",
           define_yearly_capital,
           Elastic("£ over the year's budget ÷ the budget", lambda m, e, ids, c: max(abs(float(c.constant)), 1.0),
                   _each(_yearly("the capital budget is £{amount:,.0f} short of the backlog and fit-out that year "
                                 "needs", "phasing.capital_budget_gbp; years count from 0")))),
    Family("Phase-saving", "P7", "Yearly savings",
           "`Σ_s c[s] Σ_{τ≤t} r[s,τ] ≥ S[t]` (£/yr; `phasing.min_annual_saving_gbp`).", define_yearly_saving,
           Elastic("£/yr short of the year's target ÷ the target",
                   lambda m, e, ids, c: max(abs(float(c.constant)), 1.0),
                   _each(_yearly("the savings target can be met only to within £{amount:,.0f}/yr",
                                 "phasing.min_annual_saving_gbp; leases and moves decide how early buildings can go")))),
)


def programme_table(prog: Programme, estate: Estate, allocation: pd.DataFrame | None = None) -> pd.DataFrame:
    """programme.csv: every action with its year, cost and receipt.

    Move-in areas are the fitted-out area where a service has a move cost, else the area the
    ``allocation`` puts there beyond today's."""
    sites, services = estate.sites, estate.services
    p = prog.options
    rows = []
    released = set()
    for (s, t), r in prog.release.items():
        if (r.varValue or 0) > 0.5:
            released.add(s)
            rows.append((t, "dispose", s, "", 0.0, 0.0, float(sites.at[s, "disposal_cost_gbp"]),
                         float(sites.at[s, "disposal_value_gbp"]), float(sites.at[s, "running_cost_gbp"])))
    today = _today(estate)
    for (k, s, t), f in prog.movein.items():
        if (f.varValue or 0) > 0.5:
            g = prog.fitout.get((k, s, t))
            area = max(0.0, g.varValue or 0.0) if g is not None else _new_area(k, s, estate, allocation)
            rows.append((t, "move in" if (k, s) not in today else "fit out", s, k, area,
                         area * float(services.at[k, "move_cost_gbp_per_m2"]), 0.0, 0.0, 0.0))
    for s in sites.index.difference(list(released), sort=False):
        if sites.at[s, "backlog_gbp"] > 0:
            rows.append((0, "clear backlog", s, "", 0.0, float(sites.at[s, "backlog_gbp"]), 0.0, 0.0, 0.0))
    df = pd.DataFrame(rows, columns=["year", "action", "site_id", "service_id", "area_m2", "cost_gbp",
                                     "disposal_cost_gbp", "disposal_value_gbp", "running_saving_gbp_per_yr"])
    df["receipt_gbp"] = df.disposal_value_gbp - df.disposal_cost_gbp
    df["calendar_year"] = p.start_year + df.year
    df["site_name"] = df.site_id.map(sites["name"])
    df["owner"] = df.site_id.map(sites.owner)
    order = {"clear backlog": 0, "move in": 1, "fit out": 2, "dispose": 3}
    df = df.assign(o=df.action.map(order)).sort_values(["year", "o", "site_id", "service_id"]).drop(columns="o")
    return df[PROGRAMME_COLUMNS].reset_index(drop=True)


def _new_area(k, s, estate: Estate, allocation: pd.DataFrame | None) -> float:
    if allocation is None:
        return 0.0
    a = allocation[(allocation.service_id == k) & (allocation.site_id == s)]
    need = float(estate.services.at[k, "space_m2_per_unit"] * a.demand.sum())
    occ = estate.occupation
    have = float(occ.floor_area_m2[(occ.service_id == k) & (occ.site_id == s)].sum())
    return max(0.0, need - have)


def _today(estate: Estate) -> set:
    return set(zip(estate.occupation.service_id, estate.occupation.site_id))


def cash_flows(programme: pd.DataFrame, sites: pd.DataFrame, p: PhasingOptions, receipts_sharing: str,
               kept: set) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Year-by-year cash flow against doing nothing, in total and per organisation, over the appraisal period.

    Doing nothing: every site runs every year and every backlog is cleared in year 0. The plan:
    kept sites run every year, released sites until their release year; capital and receipts as
    the programme says. Net = doing nothing - plan (positive = the plan saves money that year).
    """
    years = np.arange(p.appraisal_years)
    shares = receipt_shares(sites, receipts_sharing)
    released = programme[programme.action == "dispose"].set_index("site_id").year
    rows = []
    for w in sorted(sites.owner.unique()):
        own = sites.owner == w
        for t in years:
            running_saved = float(sites.running_cost_gbp[own & sites.index.isin(released.index[released <= t])].sum())
            backlog_avoided = float(sites.backlog_gbp[own & ~sites.index.isin(list(kept))].sum()) if t == 0 else 0.0
            here = programme[(programme.year == t)]
            capital = float(here.cost_gbp[(here.action != "clear backlog") & (here.owner == w)].sum())
            gone = here[here.action == "dispose"]
            receipts = float(sum(r * shares.at[s, w] for s, r in zip(gone.site_id, gone.receipt_gbp)))
            rows.append((w, int(t), running_saved, backlog_avoided, capital, receipts))
    per = pd.DataFrame(rows, columns=["owner", "year", "running_saving_gbp", "backlog_avoided_gbp",
                                      "move_cost_gbp", "receipts_gbp"])
    per["calendar_year"] = p.start_year + per.year
    per["net_gbp"] = per.running_saving_gbp + per.backlog_avoided_gbp - per.move_cost_gbp + per.receipts_gbp
    # running costs are counted at the end of their year; capital and receipts at its start
    per["discounted_net_gbp"] = per.running_saving_gbp * p.discount(per.year + 1) + \
        (per.backlog_avoided_gbp - per.move_cost_gbp + per.receipts_gbp) * p.discount(per.year)
    total = per.drop(columns="owner").groupby(["year", "calendar_year"], as_index=False).sum()
    total["cumulative_net_gbp"] = total.net_gbp.cumsum()
    total["cumulative_discounted_gbp"] = total.discounted_net_gbp.cumsum()
    per = per.sort_values(["owner", "year"])
    per["cumulative_net_gbp"] = per.groupby("owner").net_gbp.cumsum()
    cols = ["year", "calendar_year", "running_saving_gbp", "backlog_avoided_gbp", "move_cost_gbp", "receipts_gbp",
            "net_gbp", "cumulative_net_gbp", "discounted_net_gbp", "cumulative_discounted_gbp"]
    return total[cols], per.reset_index(drop=True)


def payback_year(total: pd.DataFrame) -> int | None:
    """The first calendar year from which the cumulative net saving stays at or above zero."""
    cum = total.cumulative_net_gbp.to_numpy()
    for i in range(len(cum)):
        if (cum[i:] >= -1e-6).all():
            return int(total.calendar_year.iloc[i])
    return None


def programme_npv(programme: pd.DataFrame, sites: pd.DataFrame, kept: set, p: PhasingOptions, phi: float,
                  travel_cost_per_yr: float = 0.0) -> float:
    """The programme's net present value (£), recomputed from its written tables (the model's objective)."""
    pa = 1.0 / phi
    k = sites.index.isin(list(kept))
    npv = float((sites.running_cost_gbp[k] * pa + sites.backlog_gbp[k]).sum()) + travel_cost_per_yr * pa
    gone = programme[programme.action == "dispose"]
    for s, t in zip(gone.site_id, gone.year):
        npv += sites.at[s, "running_cost_gbp"] * p.running_pv(int(t)) - sites.at[s, "net_receipt_gbp"] * p.discount(t)
    moves = programme[programme.action.isin(["move in", "fit out"])]
    npv += float((moves.cost_gbp * p.discount(moves.year.to_numpy())).sum())
    return npv


def programme_kpis(prog: pd.DataFrame, total: pd.DataFrame, p: PhasingOptions) -> dict:
    """Headline figures of a programme: NPV against doing nothing, payback year, last action."""
    return {"programme_years": p.horizon, "programme_start_year": p.start_year,
            "npv_saving_gbp": float(total.discounted_net_gbp.sum()),
            "programme_capital_gbp": float(prog.cost_gbp.sum()),
            "programme_receipts_gbp": float(prog.receipt_gbp.sum()),
            "payback_year": payback_year(total),
            "last_disposal_year": int(prog.calendar_year[prog.action == "dispose"].max())
            if (prog.action == "dispose").any() else None}
