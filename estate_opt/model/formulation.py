r"""The estate model: one mixed-integer program that decides disposal, co-location and access.

Sets
----
- :math:`S` sites, :math:`K` services, :math:`Z` demand zones.
- :math:`A \subseteq Z \times K \times S` admissible triples: site *s* can host *k* (listed in
  ``can_host`` or hosting it today), zone *z* has demand for *k*, and the trip time
  :math:`t_{zs}` is within *k*'s catchment. Built once as a long table (``Estate.pairs``);
  every constraint below is a group-by over it, never a loop over :math:`Z \times K \times S`.
- :math:`A^T \subseteq A`: triples whose trip is within *k*'s travel standard :math:`T_k`.

Data (units)
------------
=================  ==================================================  ============
:math:`a_s`        capacity: floor area less area kept for other uses  m²
:math:`c_s`        annual running cost                                 £/yr
:math:`b_s`        backlog maintenance to clear if kept                £
:math:`v_s`        disposal value net of disposal cost                 £
:math:`d_{zk}`     demand of zone *z* for service *k*                  units
:math:`\sigma_k`   floor area per unit of demand                       m²/unit
:math:`\rho_k`     share of demand that must be within :math:`T_k`     0..1
:math:`q_{ks}`     floor area *k* occupies at *s* today                m²
:math:`\mu_k`      smallest viable service point                       m²
:math:`m_k`        one-off move / fit-out cost                         £/m²
:math:`\varphi`    annuity factor :math:`r / (1-(1+r)^{-n})`            1/yr
:math:`w`          value of travel time                                £/(unit·min·yr)
=================  ==================================================  ============

Variables
---------
- :math:`y_s \in \{0,1\}`: site kept. Fixed to 1 (must retain, lease runs on) or 0 (must dispose).
- :math:`h_{ks} \in \{0,1\}`: service *k* present at *s*. Where a site can host only one
  service and no incompatibility applies, :math:`h_{ks}` *is* :math:`y_s` (one variable fewer).
- :math:`x_{zks} \in [0,1]`, :math:`(z,k,s) \in A`: share of :math:`d_{zk}` served at *s*.
- :math:`g_{ks} \ge 0`: floor area of *k* fitted out at *s* beyond what it has there today
  (only for services with a move cost).

Constraints
-----------
1. Demand served: :math:`\sum_s x_{zks} = 1` for every :math:`(z,k)` with :math:`d_{zk} > 0`.
2. Access standard: :math:`\sum_{(z,s):(z,k,s) \in A^T} d_{zk} x_{zks} \ge \rho_k \sum_z d_{zk}`
   (area-wide share; omitted when every admissible trip is within the standard).
3. Strong linking: :math:`x_{zks} \le h_{ks}`, :math:`h_{ks} \le y_s`.
4. Capacity: :math:`\sum_{k,z} \sigma_k d_{zk} x_{zks} \le a_s y_s`.
5. Fit-out: :math:`g_{ks} \ge \sigma_k \sum_z d_{zk} x_{zks} - q_{ks}`.
6. Incompatible services :math:`k, k'`: :math:`h_{ks} + h_{k's} \le 1`; viable size
   :math:`\sigma_k \sum_z d_{zk} x_{zks} \ge \mu_k h_{ks}` (a service point has at least :math:`\mu_k` m²).
7. Board limits (optional): :math:`L \le \sum_s y_s \le U` (or :math:`= p`); capital budget
   :math:`\sum_s b_s y_s + \sum_{k,s} m_k g_{ks} \le B`; savings target
   :math:`\sum_s c_s (1 - y_s) \ge S`.
8. Valid inequality (tightens the LP bound): :math:`\sum_s a_s y_s \ge \sum_k \sigma_k \sum_z d_{zk}`.

Objective: annual equivalent cost (£/yr)
----------------------------------------
.. math::
    \min \sum_s (c_s + \varphi b_s) y_s - \varphi \sum_s v_s (1 - y_s)
         + \varphi \sum_{k,s} m_k g_{ks} + w \sum_{A} d_{zk} t_{zs} x_{zks}

Reductions (known-answer tests): with one service, :math:`\sigma = 1`, :math:`a_s` = capacity,
:math:`c_s` = fixed cost, :math:`b = v = m = 0`, no catchment, :math:`w = 1` and
:math:`t_{zs} = \text{cost}_{zs} / d_z` it is the capacitated facility location problem
(:math:`\sigma = 0`: uncapacitated); with :math:`c = 0`, :math:`\sigma = 0`, :math:`d = 1`,
:math:`w = 1` and :math:`\sum_s y_s = p` it is p-median.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pandas as pd
import pulp

from estate_opt.inputs.estate import Estate
from estate_opt.inputs.scenario import Scenario, annuity_factor


@dataclass
class ModelOptions:
    """The scenario's economic settings and board limits, in model units."""

    phi: float = annuity_factor(0.035, 30)  # 1/yr
    travel_weight: float = 0.0  # £ per unit of demand per minute per year
    min_sites: int | None = None
    max_sites: int | None = None
    exact_sites: int | None = None
    capital_budget: float | None = None  # £
    min_annual_saving: float | None = None  # £/yr of running cost
    receipts_sharing: str = "owner"  # owner | floor_area | equal
    min_owner_position: float | None = None  # £/yr, every organisation
    owner_min_position: dict = field(default_factory=dict)  # owner -> £/yr
    max_travel_increase: float | None = None  # minutes, per zone and service
    max_decile_travel_increase: float | None = None  # minutes, per deprivation decile and service

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "ModelOptions":
        c = sc.constraints
        return cls(phi=annuity_factor(sc.economics.discount_rate, sc.economics.appraisal_years),
                   travel_weight=sc.economics.travel_weight_gbp_per_unit_min, min_sites=c.min_sites,
                   max_sites=c.max_sites, exact_sites=c.exact_sites, capital_budget=c.capital_budget_gbp,
                   min_annual_saving=c.min_annual_saving_gbp, receipts_sharing=sc.economics.receipts_sharing,
                   min_owner_position=c.min_owner_position_gbp,
                   owner_min_position={k: float(v) for k, v in c.owner_min_position_gbp.items()},
                   max_travel_increase=c.max_travel_increase_min,
                   max_decile_travel_increase=c.max_decile_travel_increase_min)

    def owner_minimum(self, owner: str) -> float | None:
        return self.owner_min_position.get(owner, self.min_owner_position)


@dataclass
class EstateModel:
    """A built model: the PuLP problem and its variables, labelled by the inputs' ids."""

    problem: pulp.LpProblem
    keep: pd.Series  # site_id -> y
    host: pd.Series  # (service_id, site_id) -> h (may be the site's y)
    pairs: pd.DataFrame  # Estate.pairs plus column x (the share variable)
    fitout: pd.Series  # (service_id, site_id) -> g
    cost: pulp.LpAffineExpression  # annual equivalent cost (objective without travel)
    travel: pulp.LpAffineExpression  # demand-weighted minutes, sum d t x
    move_cost: pulp.LpAffineExpression  # one-off fit-out cost, £
    options: ModelOptions = field(default_factory=ModelOptions)


_UNSAFE = re.compile(r"[^A-Za-z0-9.]")


@functools.lru_cache(maxsize=1 << 20)  # ids repeat across hundreds of thousands of names
def safe(label) -> str:
    """An injective, LP-file-safe rendering of an id (so names never collide)."""
    return _UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", str(label))


def build_model(estate: Estate, options: ModelOptions | None = None) -> EstateModel:
    """Build the model of the docstring above; one ``define_*`` per constraint family."""
    options = options or ModelOptions()
    prob = pulp.LpProblem("estate", pulp.LpMinimize)
    sites, services = estate.sites, estate.services
    keep = define_keep(prob, sites)
    host, separate_sites = define_host(prob, estate, keep)
    pairs = define_shares(prob, estate.pairs)
    fitout = define_fitout_vars(prob, estate)

    for family in (
        define_demand(pairs),
        define_access(pairs, services),
        define_linking(pairs, host, keep),
        define_capacity(pairs, sites, services, keep),
        define_fitout(pairs, services, estate.occupation, fitout),
        define_incompatible(services, host, separate_sites),
        define_min_size(pairs, services, host),
        define_site_count(keep, options),
        define_capital_budget(keep, sites, services, fitout, options),
        define_savings_target(keep, sites, options),
        define_capacity_cover(keep, sites, services),
        define_owner_positions(keep, fitout, sites, services, options),
        define_travel_increase(pairs, estate, options),
    ):
        for name, constraint in family:
            prob.addConstraint(constraint, name)

    cost, travel, move_cost = define_objective(keep, sites, services, pairs, fitout, options)
    prob.setObjective(cost + options.travel_weight * travel if options.travel_weight else cost)
    return EstateModel(prob, keep, host, pairs, fitout, cost, travel, move_cost, options)


def define_keep(prob: pulp.LpProblem, sites: pd.DataFrame) -> pd.Series:
    """y_s, fixed by flags through its bounds so presolve removes it."""
    keep = pd.Series([prob.add_variable(f"Site-keep_{safe(s)}", cat=pulp.LpBinary) for s in sites.index],
                     index=sites.index, dtype=object)
    for y, fixed in zip(keep, sites.fixed):
        if fixed:  # PuLP resets a binary's bounds to [0, 1] on creation, so fix them afterwards
            y.lowBound = y.upBound = 1 if fixed == "retain" else 0
    return keep


def define_host(prob: pulp.LpProblem, estate: Estate, keep: pd.Series) -> tuple[pd.Series, set]:
    """h_ks for every (service, site) that some admissible pair uses."""
    used = estate.pairs[["service_id", "site_id"]].drop_duplicates()
    per_site = used.groupby("site_id").service_id.nunique()
    clash = {k for k, others in estate.services.incompatible_with.items() if others} | \
            {o for others in estate.services.incompatible_with for o in others} | \
            set(estate.services.index[estate.services.min_site_m2 > 0])  # need their own h
    separate_sites = set(used.site_id[used.service_id.isin(clash)])
    own = {}
    for k, s in used.itertuples(index=False):
        if per_site[s] == 1 and s not in separate_sites:
            own[(k, s)] = keep[s]  # sole service: present iff the site is kept
        else:
            own[(k, s)] = prob.add_variable(f"Service-host_{safe(k)}_{safe(s)}", cat=pulp.LpBinary)
    host = pd.Series(own, dtype=object)
    host.index = pd.MultiIndex.from_tuples(host.index, names=["service_id", "site_id"]) if len(host) else \
        pd.MultiIndex.from_arrays([[], []], names=["service_id", "site_id"])
    return host, separate_sites


def define_shares(prob: pulp.LpProblem, pairs: pd.DataFrame) -> pd.DataFrame:
    """x_zks in [0, 1] for every admissible triple."""
    pairs = pairs.copy()
    pairs["x"] = [prob.add_variable(f"Share_{safe(z)}_{safe(k)}_{safe(s)}", 0, 1)
                  for z, k, s in zip(pairs.zone_id.tolist(), pairs.service_id.tolist(), pairs.site_id.tolist())]
    return pairs


def define_fitout_vars(prob: pulp.LpProblem, estate: Estate) -> pd.Series:
    """g_ks >= 0 for hosting pairs of services that have a move cost."""
    moving = estate.services.index[estate.services.move_cost_gbp_per_m2 > 0]
    used = estate.pairs.loc[estate.pairs.service_id.isin(moving), ["service_id", "site_id"]].drop_duplicates()
    idx = pd.MultiIndex.from_frame(used) if len(used) else pd.MultiIndex.from_arrays([[], []],
                                                                                       names=["service_id", "site_id"])
    return pd.Series([prob.add_variable(f"Service-fitout_{safe(k)}_{safe(s)}", 0) for k, s in idx],
                     index=idx, dtype=object)


def _sum(vars_, coefs=None) -> pulp.LpAffineExpression:
    if coefs is None:
        return pulp.LpAffineExpression([(v, 1.0) for v in vars_])
    return pulp.LpAffineExpression([(v, float(c)) for v, c in zip(list(vars_), list(coefs))])


def define_demand(pairs: pd.DataFrame):
    """1. Every zone's demand for every service is fully served."""
    for (z, k), xs in pairs.groupby(["zone_id", "service_id"], sort=False).x:
        yield f"Zone-demand_{safe(z)}_{safe(k)}", _sum(xs) == 1


def define_access(pairs: pd.DataFrame, services: pd.DataFrame):
    """2. The required share of each service's demand is served within its travel standard."""
    for k, p in pairs.groupby("service_id", sort=False):
        rho = services.at[k, "required_share"]
        if rho <= 0 or p.within.all():
            continue
        inside = p[p.within]
        total = services.at[k, "total_demand"]
        yield f"Service-access_{safe(k)}", _sum(inside.x, inside.demand) >= rho * total


def define_linking(pairs: pd.DataFrame, host: pd.Series, keep: pd.Series):
    """3. A share needs its service present (x <= h), a service needs its site kept (h <= y)."""
    h_of, y_of = host.to_dict(), keep.to_dict()  # dict lookups: Series lookups cost ~20x more per pair
    for z, k, s, x in zip(pairs.zone_id.tolist(), pairs.service_id.tolist(), pairs.site_id.tolist(),
                          pairs.x.tolist()):
        yield f"Share-link_{safe(z)}_{safe(k)}_{safe(s)}", _at_most(x, h_of[(k, s)])
    for (k, s), h in h_of.items():
        if h is not y_of[s]:
            yield f"Service-link_{safe(k)}_{safe(s)}", _at_most(h, y_of[s])


def _at_most(a: pulp.LpVariable, b: pulp.LpVariable) -> pulp.LpConstraint:
    """a - b <= 0, built directly: PuLP's operators copy expressions, ~5x slower for the commonest row."""
    return pulp.LpConstraint(pulp.LpAffineExpression([(a, 1.0), (b, -1.0)]), pulp.LpConstraintLE, rhs=0.0)


def define_capacity(pairs, sites, services, keep):
    """4. Floor area used by all services at a site fits its capacity."""
    sigma = pairs.service_id.map(services.space_m2_per_unit)
    area = sigma * pairs.demand
    use = pairs.assign(area=area)[area > 0]
    for s, p in use.groupby("site_id", sort=False):
        yield f"Site-capacity_{safe(s)}", _sum(p.x, p.area) - float(sites.at[s, "capacity_m2"]) * keep[s] <= 0


def define_fitout(pairs, services, occupation, fitout: pd.Series):
    """5. New floor area of a service at a site, beyond what it occupies there today."""
    if fitout.empty:
        return
    today = occupation.set_index(["service_id", "site_id"]).floor_area_m2
    p = pairs.assign(area=pairs.service_id.map(services.space_m2_per_unit) * pairs.demand)
    groups = p.groupby(["service_id", "site_id"], sort=False)
    for (k, s), g in fitout.items():
        grp = groups.get_group((k, s))
        q = float(today.get((k, s), 0.0))
        yield f"Service-fitout_{safe(k)}_{safe(s)}", g - _sum(grp.x, grp.area) >= -q


def define_incompatible(services, host: pd.Series, separate_sites: set):
    """6. Incompatible services never share a building."""
    seen = set()
    for k, others in services.incompatible_with.items():
        for o in others:
            pair = tuple(sorted((k, o)))
            if pair in seen:
                continue
            seen.add(pair)
            for s in sorted(separate_sites):
                if (pair[0], s) in host.index and (pair[1], s) in host.index:
                    yield (f"Site-incompatible_{safe(pair[0])}_{safe(pair[1])}_{safe(s)}",
                           host[(pair[0], s)] + host[(pair[1], s)] <= 1)


def define_min_size(pairs, services, host: pd.Series):
    """6b. A site hosting a service gives it at least the service's viable size (m²)."""
    mu = services.min_site_m2
    if not (mu > 0).any():
        return
    p = pairs[pairs.service_id.map(mu) > 0]
    p = p.assign(area=p.service_id.map(services.space_m2_per_unit) * p.demand)
    h_of = host.to_dict()
    for (k, s), g in p.groupby(["service_id", "site_id"], sort=False):
        yield f"Service-min_size_{safe(k)}_{safe(s)}", _sum(g.x, g.area) - float(mu[k]) * h_of[(k, s)] >= 0


def define_site_count(keep: pd.Series, o: ModelOptions):
    """7a. Limits on the number of sites kept."""
    total = _sum(keep)
    if o.exact_sites is not None:
        yield "Estate-sites_exact", total == o.exact_sites
    if o.min_sites is not None:
        yield "Estate-sites_min", total >= o.min_sites
    if o.max_sites is not None:
        yield "Estate-sites_max", total <= o.max_sites


def define_capital_budget(keep, sites, services, fitout, o: ModelOptions):
    """7b. Capital for backlog on kept sites and fit-out stays within the budget (£)."""
    if o.capital_budget is None:
        return
    m = [services.at[k, "move_cost_gbp_per_m2"] for k, _ in fitout.index]
    spend = _sum(keep, sites.backlog_gbp) + _sum(fitout, m)
    yield "Estate-capital_budget", spend <= o.capital_budget


def define_savings_target(keep, sites, o: ModelOptions):
    """7c. Running cost saved by disposals reaches the target (£/yr)."""
    if o.min_annual_saving is None:
        return
    yield "Estate-savings_target", float(sites.running_cost_gbp.sum()) - _sum(keep, sites.running_cost_gbp) \
        >= o.min_annual_saving


def define_capacity_cover(keep, sites, services):
    """8. Kept capacity covers total space need (valid inequality; tightens the LP bound)."""
    need = float((services.space_m2_per_unit * services.total_demand).sum())
    if need > 0:
        yield "Estate-capacity_cover", _sum(keep, sites.capacity_m2) >= need


def receipt_shares(sites: pd.DataFrame, rule: str) -> pd.DataFrame:
    """owner x site weights: the share of each site's receipt that goes to each organisation."""
    owners = sorted(sites.owner.unique())
    if rule == "floor_area":
        area = sites.groupby("owner").floor_area_m2.sum()
        w = pd.DataFrame({o: area[o] / area.sum() for o in owners}, index=sites.index)
    elif rule == "equal":
        w = pd.DataFrame({o: 1.0 / len(owners) for o in owners}, index=sites.index)
    else:
        w = pd.DataFrame({o: (sites.owner == o).astype(float) for o in owners}, index=sites.index)
    return w


def define_owner_positions(keep, fitout, sites, services, o: ModelOptions):
    """9. No organisation's net annual position falls below its minimum (£/yr).

    Position = running cost and annualised backlog of its disposed sites + annualised share of all
    receipts (by the sharing rule) - annualised move costs at its kept sites.
    """
    owners = [w for w in sorted(sites.owner.unique()) if o.owner_minimum(w) is not None]
    if not owners:
        return
    shares = receipt_shares(sites, o.receipts_sharing)
    m = {(k, s): services.at[k, "move_cost_gbp_per_m2"] for k, s in fitout.index}
    for w in owners:
        own = (sites.owner == w).to_numpy()
        gone_value = sites.running_cost_gbp * own + o.phi * sites.backlog_gbp * own \
            + o.phi * sites.net_receipt_gbp * shares[w]  # per site, paid to w if the site goes
        expr = float(gone_value.sum()) - _sum(keep, gone_value)
        moves = [(g, -o.phi * m[(k, s)]) for (k, s), g in fitout.items() if sites.at[s, "owner"] == w]
        if moves:
            expr = expr + pulp.LpAffineExpression(moves)
        yield f"Owner-position_{safe(w)}", expr >= o.owner_minimum(w)


def zone_baseline_minutes(estate: Estate) -> pd.Series:
    """Today's mean trip (minutes) per (zone, service), from the baseline allocation."""
    b = estate.baseline
    w = (b.demand * b.minutes).groupby([b.zone_id, b.service_id]).sum()
    return w / b.demand.groupby([b.zone_id, b.service_id]).sum()


def define_travel_increase(pairs, estate: Estate, o: ModelOptions):
    """10. Equity: no zone's (or deprivation decile's) mean trip to a service grows by more than a limit."""
    if o.max_travel_increase is None and o.max_decile_travel_increase is None:
        return
    before = zone_baseline_minutes(estate)
    p = pairs.assign(before=pd.MultiIndex.from_frame(pairs[["zone_id", "service_id"]]).map(before.to_dict()))
    p = p[p.before.notna()]
    if o.max_travel_increase is not None:
        slack = p.minutes - p.before - o.max_travel_increase
        for (z, k), g in p.assign(slack=slack).groupby(["zone_id", "service_id"], sort=False):
            if (g.slack > 0).any():  # otherwise every choice already meets the limit
                yield f"Zone-travel_increase_{safe(z)}_{safe(k)}", _sum(g.x, g.slack) <= 0
    if o.max_decile_travel_increase is not None:
        decile = p.zone_id.map(estate.zones["deprivation_decile"])
        slack = p.demand * (p.minutes - p.before - o.max_decile_travel_increase)
        for (d, k), g in p.assign(decile=decile, slack=slack).groupby(["decile", "service_id"], sort=False):
            yield f"Decile-travel_increase_{safe(d)}_{safe(k)}", _sum(g.x, g.slack) <= 0


def define_objective(keep, sites, services, pairs, fitout, o: ModelOptions):
    """Annual equivalent cost (£/yr), demand-weighted minutes and one-off move cost (£)."""
    per_site = sites.running_cost_gbp + o.phi * sites.backlog_gbp + o.phi * sites.net_receipt_gbp
    cost = _sum(keep, per_site) - o.phi * float(sites.net_receipt_gbp.sum())
    m = [services.at[k, "move_cost_gbp_per_m2"] for k, _ in fitout.index]
    move_cost = _sum(fitout, m)
    cost = cost + o.phi * move_cost
    travel = _sum(pairs.x, pairs.demand * pairs.minutes)
    return cost, travel, move_cost


def start_from_plan(model: EstateModel, kept, allocation: pd.DataFrame, services: pd.DataFrame,
                    occupation: pd.DataFrame) -> dict:
    """Variable values (by name) that reproduce a plan in this model: a warm start for related solves."""
    kept = set(kept)
    start = {y.name: float(s in kept) for s, y in model.keep.items()}
    used = set(zip(allocation.service_id, allocation.site_id))
    for (k, s), h in model.host.items():
        if h.name not in start:
            start[h.name] = float((k, s) in used)
    share = allocation.set_index(["zone_id", "service_id", "site_id"]).share
    p = model.pairs
    key = pd.MultiIndex.from_frame(p[["zone_id", "service_id", "site_id"]])
    for x, v in zip(p.x, share.reindex(key).fillna(0.0).to_numpy()):
        start[x.name] = float(v)
    if len(model.fitout):
        area = (allocation.assign(a=allocation.service_id.map(services.space_m2_per_unit) * allocation.demand)
                .groupby(["service_id", "site_id"]).a.sum())
        today = occupation.set_index(["service_id", "site_id"]).floor_area_m2
        for (k, s), g in model.fitout.items():
            start[g.name] = max(0.0, float(area.get((k, s), 0.0)) - float(today.get((k, s), 0.0)))
    return start
