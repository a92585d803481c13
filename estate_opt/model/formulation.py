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
Each family is one ``define_*`` function and one :class:`Family` record in ``FAMILIES``; its rows
are named ``<key>_<ids>`` (the key is given with each family below).

1. Demand served (``Zone-demand``): :math:`\sum_s x_{zks} = 1` for every :math:`(z,k)` with :math:`d_{zk} > 0`.
2. Access standard (``Service-access``):
   :math:`\sum_{(z,s):(z,k,s) \in A^T} d_{zk} x_{zks} \ge \rho_k \sum_z d_{zk}`
   (area-wide share; omitted when every admissible trip is within the standard).
3. Linking: :math:`x_{zks} \le y_s` where *k* is the site's only service (3a, ``Share-link``: the strong
   link of facility location); :math:`\sum_z (d_{zk} / D_{ks}) x_{zks} \le h_{ks}` where *k* has its own host
   variable (3b, ``Service-point_link``; the per-share rows are left to the solver's implied-bound cuts);
   :math:`h_{ks} \le y_s` (3c, ``Service-link``).
4. Capacity (``Site-capacity``): :math:`\sum_{k,z} \sigma_k d_{zk} x_{zks} \le a_s y_s`.
5. Fit-out (``Service-fitout``): :math:`g_{ks} \ge \sigma_k \sum_z d_{zk} x_{zks} - q_{ks}`.
6. Incompatible services :math:`k, k'` (``Site-incompatible``): :math:`h_{ks} + h_{k's} \le 1`.

   6b. Viable size (``Service-min_size``): :math:`\sigma_k \sum_z d_{zk} x_{zks} \ge \mu_k h_{ks}`
   (a service point has at least :math:`\mu_k` m²).
7. Board limits (optional): 7a :math:`L \le \sum_s y_s \le U` (or :math:`= p`) (``Estate-sites``);
   7b capital budget :math:`\sum_s b_s y_s + \sum_{k,s} m_k g_{ks} \le B` (``Estate-capital_budget``);
   7c savings target :math:`\sum_s c_s (1 - y_s) \ge S` (``Estate-savings_target``).
8. Valid inequality (tightens the LP bound, ``Estate-capacity_cover``):
   :math:`\sum_s a_s y_s \ge \sum_k \sigma_k \sum_z d_{zk}`.
9. Partner positions (optional, ``Owner-position``): for each organisation *o* with a minimum
   :math:`P_o`, :math:`\sum_{s \in o} (c_s + \varphi b_s)(1 - y_s) + \varphi \sum_s \omega_{os} v_s (1 - y_s)
   - \varphi \sum_{k, s \in o} m_k g_{ks} \ge P_o` (£/yr; :math:`\omega_{os}` is *o*'s share of *s*'s
   receipt under the sharing rule).
10. Equity (optional), with :math:`\bar t_{zk}` today's mean trip (minutes):
    10a per zone (``Zone-travel_increase``) :math:`\sum_s x_{zks} (t_{zs} - \bar t_{zk} - \Delta) \le 0`;
    10b per deprivation decile *D* (``Decile-travel_increase``)
    :math:`\sum_{z \in D, s} d_{zk} x_{zks} (t_{zs} - \bar t_{zk} - \Delta_D) \le 0`.

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
from collections.abc import Callable, Iterable
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
    min_owner_position_by_owner: dict = field(default_factory=dict)  # owner -> £/yr
    max_travel_increase: float | None = None  # minutes, per zone and service
    max_decile_travel_increase: float | None = None  # minutes, per deprivation decile and service
    point_link: str = "aggregated"  # 3b as one row per service point, or "per_share" (x <= h, the old engine)

    @classmethod
    def from_scenario(cls, sc: Scenario) -> ModelOptions:
        c = sc.constraints
        return cls(phi=annuity_factor(sc.economics.discount_rate, sc.economics.appraisal_years),
                   travel_weight=sc.economics.travel_weight_gbp_per_unit_min, min_sites=c.min_sites,
                   max_sites=c.max_sites, exact_sites=c.exact_sites, capital_budget=c.capital_budget_gbp,
                   min_annual_saving=c.min_annual_saving_gbp, receipts_sharing=sc.economics.receipts_sharing,
                   min_owner_position=c.min_owner_position_gbp,
                   min_owner_position_by_owner={k: float(v) for k, v in c.owner_min_position_gbp.items()},
                   max_travel_increase=c.max_travel_increase_min,
                   max_decile_travel_increase=c.max_decile_travel_increase_min)

    def min_owner_position_for(self, owner: str) -> float | None:
        return self.min_owner_position_by_owner.get(owner, self.min_owner_position)

    def written(self) -> str:
        """The board limits set, as the scenario writes them ("" when none)."""
        named = [("exact_sites", self.exact_sites), ("min_sites", self.min_sites), ("max_sites", self.max_sites),
                 ("capital_budget_gbp", self.capital_budget), ("min_annual_saving_gbp", self.min_annual_saving),
                 ("min_owner_position_gbp", self.min_owner_position),
                 ("max_travel_increase_min", self.max_travel_increase),
                 ("max_decile_travel_increase_min", self.max_decile_travel_increase)]
        parts = [f"constraints.{k} = {v:,g}" for k, v in named if v is not None]
        return ", ".join(parts + [f"a minimum position for {w}" for w in self.min_owner_position_by_owner])


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
    separate_sites: set = field(default_factory=set)  # sites where each service has its own h
    rows: dict = field(default_factory=dict)  # family key -> [(ids, constraint)], in the order added


# One unit of every elastic slack is a share of its own requirement, so a zone left unserved (share 1
# of its demand) and a site limit missed by one count alike. Demand rows are a shade cheaper, so
# among equal relaxations the one naming who is left out is reported.
DEMAND_WEIGHT, LIMIT_WEIGHT = 1.0, 1.01


@dataclass(frozen=True)
class Elastic:
    """How the elastic diagnosis relaxes a family: one penalised slack per row, in words when used."""

    slack: str  # what one unit of slack is, and what it is divided by (for the docs)
    scale: Callable  # (model, estate, ids, row) -> size of the requirement; weight / scale per unit
    say: Callable  # (model, estate, [(ids, sign, amount)]) -> sentences for the rows with slack
    weight: float = LIMIT_WEIGHT
    both_ways: bool = False  # an equality row may be missed on either side (exact site count)


@dataclass(frozen=True)
class Family:
    """One constraint family: its rows are named ``<key>_<ids>``, by the inputs' ids."""

    key: str  # <Entity>-<rule>
    number: str  # its place in the formulation ("6b")
    title: str
    doc: str  # one line, with units (Markdown)
    build: Callable  # (model or programme, estate) -> (ids, constraint) pairs; nothing when not set
    elastic: Elastic | None = None  # None: the rule stays hard in the diagnosis

    def row_name(self, ids: tuple) -> str:
        return "_".join((self.key, *map(safe, ids)))


def add_families(model: EstateModel, families: Iterable[Family], built, estate: Estate,
                 order: Callable | None = None) -> None:
    """Add every family's rows to the problem, named by its ids, and record them under the family.

    ``order(key, ids)``: a sort key that interleaves the families' rows (stable; default family by family).
    """
    rows = [(family, ids, row) for family in families for ids, row in family.build(built, estate)]
    if order is not None:
        rows.sort(key=lambda r: order(r[0].key, r[1]))
    for family in families:
        model.rows.setdefault(family.key, [])
    for family, ids, row in rows:
        model.problem.addConstraint(row, family.row_name(ids))
        model.rows[family.key].append((ids, row))


_UNSAFE = re.compile(r"[^A-Za-z0-9.]")


@functools.lru_cache(maxsize=1 << 20)  # ids repeat across hundreds of thousands of names
def safe(label) -> str:
    """An injective, LP-file-safe rendering of an id (so names never collide)."""
    return _UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", str(label))


def listed(values, n=6) -> str:
    """The first ``n`` ids, then how many more."""
    values = list(values)
    more = f" and {len(values) - n} more" if len(values) > n else ""
    return ", ".join(map(str, values[:n])) + more


def build_model(estate: Estate, options: ModelOptions | None = None) -> EstateModel:
    """Build the model of the docstring above: its variables, then every family in ``FAMILIES``."""
    options = options or ModelOptions()
    prob = pulp.LpProblem("estate", pulp.LpMinimize)
    sites, services = estate.sites, estate.services
    keep = define_keep(prob, sites)
    host, separate_sites = define_host(prob, estate, keep)
    pairs = define_shares(prob, estate.pairs)
    fitout = define_fitout_vars(prob, estate)
    cost, travel, move_cost = define_objective(keep, sites, services, pairs, fitout, options)
    model = EstateModel(prob, keep, host, pairs, fitout, cost, travel, move_cost, options, separate_sites)
    add_families(model, FAMILIES, model, estate)
    prob.setObjective(cost + options.travel_weight * travel if options.travel_weight else cost)
    return model


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
    separate_sites = set(used.site_id[used.service_id.isin(clash)]) | set(per_site.index[per_site > 1])
    own = {}
    for k, s in used.itertuples(index=False):
        if s not in separate_sites:
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


def define_demand(m: EstateModel, estate: Estate):
    """1. Every zone's demand for every service is fully served."""
    for (z, k), xs in m.pairs.groupby(["zone_id", "service_id"], sort=False).x:
        yield (z, k), _sum(xs) == 1


def define_access(m: EstateModel, estate: Estate):
    """2. The required share of each service's demand is served within its travel standard."""
    services = estate.services
    for k, p in m.pairs.groupby("service_id", sort=False):
        rho = services.at[k, "required_share"]
        if rho <= 0 or p.within.all():
            continue
        inside = p[p.within]
        yield (k,), _sum(inside.x, inside.demand) >= rho * services.at[k, "total_demand"]


def define_share_link(m: EstateModel, estate: Estate):
    """3a. A share needs its site kept: x <= y, one row per share, where the site's only service is k
    (and x <= h for every share with ``point_link="per_share"``)."""
    h_of = m.host.to_dict()  # dict lookups: Series lookups cost ~20x more per pair
    p = m.pairs if m.options.point_link == "per_share" else m.pairs[~_has_own_host(m)]
    for z, k, s, x in zip(p.zone_id.tolist(), p.service_id.tolist(), p.site_id.tolist(), p.x.tolist()):
        yield (z, k, s), _at_most(x, h_of[(k, s)])


def define_point_link(m: EstateModel, estate: Estate):
    """3b. A service point serves only if present: sum_z (d/D) x <= h, one row per (k, s) with its own h.

    Per-share rows x <= h here too would be a tighter LP, but HiGHS separates them itself as implied-bound
    cuts where they bind, and without them the LP of a multi-service estate is a ninth the size: Trafford's
    proof took 237 s (not done in 300 s in the same run) with them and 81-137 s without, by HiGHS seed
    (benchmarks/engine.py). Where h is the site's y (one
    service, the classic facility-location link) the per-share rows stay (3a): they are what makes
    p-median and capacitated facility location fast.
    """
    if m.options.point_link == "per_share":
        return
    h_of = m.host.to_dict()
    p = m.pairs[_has_own_host(m)]
    for (k, s), g in p.groupby(["service_id", "site_id"], sort=False):
        yield (k, s), _sum(g.x, g.demand / g.demand.sum()) - h_of[(k, s)] <= 0  # pairs have demand > 0


def _has_own_host(m: EstateModel) -> pd.Series:
    """Per pair: does its service have its own host variable h at the site (not the site's y)?"""
    return m.pairs.site_id.isin(m.separate_sites)


def define_service_link(m: EstateModel, estate: Estate):
    """3c. A service needs its site kept: h <= y (where h is not y itself)."""
    y_of = m.keep.to_dict()
    for (k, s), h in m.host.to_dict().items():
        if h is not y_of[s]:
            yield (k, s), _at_most(h, y_of[s])


def _at_most(a: pulp.LpVariable, b: pulp.LpVariable) -> pulp.LpConstraint:
    """a - b <= 0, built directly: PuLP's operators copy expressions, ~5x slower for the commonest row."""
    return pulp.LpConstraint(pulp.LpAffineExpression([(a, 1.0), (b, -1.0)]), pulp.LpConstraintLE, rhs=0.0)


def define_capacity(m: EstateModel, estate: Estate):
    """4. Floor area used by all services at a site fits its capacity."""
    p = m.pairs
    area = p.service_id.map(estate.services.space_m2_per_unit) * p.demand
    use = p.assign(area=area)[area > 0]
    for s, g in use.groupby("site_id", sort=False):
        yield (s,), _sum(g.x, g.area) - float(estate.sites.at[s, "capacity_m2"]) * m.keep[s] <= 0


def define_fitout(m: EstateModel, estate: Estate):
    """5. New floor area of a service at a site, beyond what it occupies there today."""
    if m.fitout.empty:
        return
    today = estate.occupation.set_index(["service_id", "site_id"]).floor_area_m2
    p = m.pairs.assign(area=m.pairs.service_id.map(estate.services.space_m2_per_unit) * m.pairs.demand)
    groups = p.groupby(["service_id", "site_id"], sort=False)
    for (k, s), g in m.fitout.items():
        grp = groups.get_group((k, s))
        yield (k, s), g - _sum(grp.x, grp.area) >= -float(today.get((k, s), 0.0))


def define_incompatible(m: EstateModel, estate: Estate):
    """6. Incompatible services never share a building."""
    seen = set()
    for k, others in estate.services.incompatible_with.items():
        for other in others:
            pair = tuple(sorted((k, other)))
            if pair in seen:
                continue
            seen.add(pair)
            for s in sorted(m.separate_sites):
                if (pair[0], s) in m.host.index and (pair[1], s) in m.host.index:
                    yield (*pair, s), m.host[(pair[0], s)] + m.host[(pair[1], s)] <= 1


def define_min_size(m: EstateModel, estate: Estate):
    """6b. A site hosting a service gives it at least the service's viable size (m²)."""
    services = estate.services
    mu = services.min_site_m2
    if not (mu > 0).any():
        return
    p = m.pairs[m.pairs.service_id.map(mu) > 0]
    p = p.assign(area=p.service_id.map(services.space_m2_per_unit) * p.demand)
    h_of = m.host.to_dict()
    for (k, s), g in p.groupby(["service_id", "site_id"], sort=False):
        yield (k, s), _sum(g.x, g.area) - float(mu[k]) * h_of[(k, s)] >= 0


def define_site_count(m: EstateModel, estate: Estate):
    """7a. Limits on the number of sites kept."""
    options, total = m.options, _sum(m.keep)
    if options.exact_sites is not None:
        yield ("exact",), total == options.exact_sites
    if options.min_sites is not None:
        yield ("min",), total >= options.min_sites
    if options.max_sites is not None:
        yield ("max",), total <= options.max_sites


def define_capital_budget(m: EstateModel, estate: Estate):
    """7b. Capital for backlog on kept sites and fit-out stays within the budget (£)."""
    if m.options.capital_budget is None:
        return
    rate = [estate.services.at[k, "move_cost_gbp_per_m2"] for k, _ in m.fitout.index]
    yield (), _sum(m.keep, estate.sites.backlog_gbp) + _sum(m.fitout, rate) <= m.options.capital_budget


def define_savings_target(m: EstateModel, estate: Estate):
    """7c. Running cost saved by disposals reaches the target (£/yr)."""
    if m.options.min_annual_saving is None:
        return
    running = estate.sites.running_cost_gbp
    yield (), float(running.sum()) - _sum(m.keep, running) >= m.options.min_annual_saving


def define_capacity_cover(m: EstateModel, estate: Estate):
    """8. Kept capacity covers total space need (valid inequality; tightens the LP bound)."""
    services = estate.services
    need = float((services.space_m2_per_unit * services.total_demand).sum())
    if need > 0:
        yield (), _sum(m.keep, estate.sites.capacity_m2) >= need


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


def define_owner_positions(m: EstateModel, estate: Estate):
    """9. No organisation's net annual position falls below its minimum (£/yr).

    Position = running cost and annualised backlog of its disposed sites + annualised share of all
    receipts (by the sharing rule) - annualised move costs at its kept sites.
    """
    options, sites, services = m.options, estate.sites, estate.services
    owners = [w for w in sorted(sites.owner.unique()) if options.min_owner_position_for(w) is not None]
    if not owners:
        return
    phi = options.phi
    shares = receipt_shares(sites, options.receipts_sharing)
    rate = {(k, s): services.at[k, "move_cost_gbp_per_m2"] for k, s in m.fitout.index}
    for w in owners:
        own = (sites.owner == w).to_numpy()
        gone_value = sites.running_cost_gbp * own + phi * sites.backlog_gbp * own \
            + phi * sites.net_receipt_gbp * shares[w]  # per site, paid to w if the site goes
        expr = float(gone_value.sum()) - _sum(m.keep, gone_value)
        moves = [(g, -phi * rate[(k, s)]) for (k, s), g in m.fitout.items() if sites.at[s, "owner"] == w]
        if moves:
            expr = expr + pulp.LpAffineExpression(moves)
        yield (w,), expr >= options.min_owner_position_for(w)


def zone_baseline_minutes(estate: Estate) -> pd.Series:
    """Today's mean trip (minutes) per (zone, service), from the baseline allocation."""
    b = estate.baseline
    w = (b.demand * b.minutes).groupby([b.zone_id, b.service_id]).sum()
    return w / b.demand.groupby([b.zone_id, b.service_id]).sum()


def _with_baseline(m: EstateModel, estate: Estate) -> pd.DataFrame:
    """The admissible pairs with today's mean trip of their zone and service (pairs without one dropped)."""
    before = zone_baseline_minutes(estate)
    p = m.pairs
    p = p.assign(before=pd.MultiIndex.from_frame(p[["zone_id", "service_id"]]).map(before.to_dict()))
    return p[p.before.notna()]


def define_zone_travel_increase(m: EstateModel, estate: Estate):
    """10a. Equity: no zone's mean trip to a service grows by more than the limit (minutes)."""
    limit = m.options.max_travel_increase
    if limit is None:
        return
    p = _with_baseline(m, estate)
    for (z, k), g in p.assign(slack=p.minutes - p.before - limit).groupby(["zone_id", "service_id"], sort=False):
        if (g.slack > 0).any():  # otherwise every choice already meets the limit
            yield (z, k), _sum(g.x, g.slack) <= 0


def define_decile_travel_increase(m: EstateModel, estate: Estate):
    """10b. Equity: no deprivation decile's mean trip to a service grows by more than the limit (minutes)."""
    limit = m.options.max_decile_travel_increase
    if limit is None:
        return
    p = _with_baseline(m, estate)
    p = p.assign(decile=p.zone_id.map(estate.zones["deprivation_decile"]),
                 slack=p.demand * (p.minutes - p.before - limit))
    for (d, k), g in p.groupby(["decile", "service_id"], sort=False):
        yield (d, k), _sum(g.x, g.slack) <= 0


def define_objective(keep, sites, services, pairs, fitout, options: ModelOptions):
    """Annual equivalent cost (£/yr), demand-weighted minutes and one-off move cost (£)."""
    phi = options.phi
    per_site = sites.running_cost_gbp + phi * sites.backlog_gbp + phi * sites.net_receipt_gbp
    cost = _sum(keep, per_site) - phi * float(sites.net_receipt_gbp.sum())
    m = [services.at[k, "move_cost_gbp_per_m2"] for k, _ in fitout.index]
    move_cost = _sum(fitout, m)
    cost = cost + phi * move_cost
    travel = _sum(pairs.x, pairs.demand * pairs.minutes)
    return cost, travel, move_cost


# How the elastic diagnosis measures and words each relaxed family (see diagnose.elastic).

def _each(sentence: Callable) -> Callable:
    """A ``say`` that words each relaxed row on its own: sentence(model, estate, ids, sign, amount)."""
    return lambda m, estate, rows: [t for ids, sign, amount in rows if (t := sentence(m, estate, ids, sign, amount))]


def _say_unserved(m: EstateModel, estate: Estate, rows) -> list[str]:
    demand = estate.demand.groupby(["zone_id", "service_id"]).demand.sum()
    by_service: dict = {}
    for (z, k), _, share in rows:
        by_service.setdefault(k, []).append((z, share * float(demand.get((z, k), 0.0))))
    limits = m.options.written()
    return [f"{k}: zones {listed([z for z, _ in zs])} ({sum(a for _, a in zs):,.0f} "
            f"{estate.services.at[k, 'demand_unit']}s) cannot be served within the travel standards and site "
            f"capacities{' together with ' + limits if limits else ''}; relax one of them"
            for k, zs in by_service.items()]


def _say_access(m, estate, ids, sign, amount) -> str:
    k, = ids
    svc = estate.services.loc[k]
    return (f"{k}: {amount:,.0f} {svc.demand_unit}s more would have to be within {svc.max_travel_min:g} min "
            f"to reach the required {svc.required_share:.0%}; relax the standard or keep more {k} sites")


def _say_capacity(m, estate, ids, sign, amount) -> str:
    s, = ids
    site = estate.sites.loc[s]
    return (f"site {s} ({site['name']}) would need {amount:,.0f} m² more floor area than its "
            f"{site.capacity_m2:,.0f} m²; keep another site nearby or relax a standard")


def _say_site_count(m, estate, ids, sign, amount) -> str:
    rule, = ids
    limit = {"exact": m.options.exact_sites, "min": m.options.min_sites, "max": m.options.max_sites}[rule]
    more = rule == "max" or (rule == "exact" and sign < 0)  # total - s <= max; total -/+ s = p
    return f"constraints.{rule}_sites = {limit}: the other requirements need {amount:,.0f} site(s) " \
           f"{'more' if more else 'fewer'}"


def _say_owner(m, estate, ids, sign, amount) -> str:
    w, = ids
    return f"{w} would be £{amount:,.0f}/yr below its allowed position (£{m.options.min_owner_position_for(w):,.0f}/yr)"


def _say_zone_travel(m, estate, ids, sign, amount) -> str:
    z, k = ids
    return (f"constraints.max_travel_increase_min = {m.options.max_travel_increase:g} would be exceeded for "
            f"zone {z}, {k} by {amount:,.1f} min")


def _say_decile_travel(m, estate, ids, sign, amount) -> str:
    d, k = ids
    return (f"constraints.max_decile_travel_increase_min = {m.options.max_decile_travel_increase:g} would be "
            f"exceeded for deprivation decile {d:g}, {k} by {amount:,.1f} demand-weighted minutes")


def _at_least_one(value) -> float:
    return max(float(value), 1.0)


FAMILIES = (
    Family("Zone-demand", "1", "Demand served",
           "`Σ_s x[z,k,s] = 1` for every `(z,k)` with `d[z,k] > 0` (shares of demand).", define_demand,
           Elastic("share of the zone's demand left unserved", lambda m, e, ids, c: 1.0, _say_unserved,
                   weight=DEMAND_WEIGHT)),
    Family("Service-access", "2", "Access standard",
           "`Σ_{(z,k,s) ∈ Aᵀ} d[z,k] x[z,k,s] ≥ ρ[k] Σ_z d[z,k]` (units of demand): an area-wide share; with "
           "`ρ = 1` and the default catchment every admissible trip is within the standard and the row is left out.",
           define_access,
           Elastic("units of demand short of the share ÷ the service's total demand",
                   lambda m, e, ids, c: _at_least_one(e.services.at[ids[0], "total_demand"]), _each(_say_access))),
    Family("Share-link", "3a", "Strong linking (share)",
           "`x[z,k,s] ≤ y[s]` where `k` is the site's only service (`h[k,s]` is `y[s]`): a share needs its site.",
           define_share_link),
    Family("Service-point_link", "3b", "Linking (service point)",
           "`Σ_z (d[z,k] / D[k,s]) x[z,k,s] ≤ h[k,s]` where `k` has its own host variable at `s` (`D[k,s]`: the "
           "demand that could use the point): a point serves only if present. Per-share rows are left to the "
           "solver's implied-bound cuts (a ninth the LP, half the proof time or less on Trafford).", define_point_link),
    Family("Service-link", "3c", "Strong linking (site)",
           "`h[k,s] ≤ y[s]`: a service needs its site kept (left out where `h[k,s]` is `y[s]`).", define_service_link),
    Family("Site-capacity", "4", "Capacity", "`Σ_{k,z} σ[k] d[z,k] x[z,k,s] ≤ a[s] y[s]` (m²).", define_capacity,
           Elastic("m² beyond the site's capacity ÷ its capacity",
                   lambda m, e, ids, c: _at_least_one(e.sites.at[ids[0], "capacity_m2"]), _each(_say_capacity))),
    Family("Service-fitout", "5", "Fit-out", "`g[k,s] ≥ σ[k] Σ_z d[z,k] x[z,k,s] − q[k,s]` (m²).", define_fitout),
    Family("Site-incompatible", "6", "Incompatible services",
           "`h[k,s] + h[k',s] ≤ 1` for incompatible `k, k'`.", define_incompatible),
    Family("Service-min_size", "6b", "Viable size",
           "`σ[k] Σ_z d[z,k] x[z,k,s] ≥ μ[k] h[k,s]` (m²): a service point has at least `μ[k]` m² (`min_site_m2`).",
           define_min_size),
    Family("Estate-sites", "7a", "Board limits: sites kept",
           "`L ≤ Σ_s y[s] ≤ U` or `= p` (sites; `min_sites`, `max_sites`, `exact_sites`).", define_site_count,
           Elastic("sites", lambda m, e, ids, c: 1.0, _each(_say_site_count), both_ways=True)),
    Family("Estate-capital_budget", "7b", "Board limits: capital budget",
           "`Σ_s b[s] y[s] + Σ_{k,s} m[k] g[k,s] ≤ B` (£; `capital_budget_gbp`).", define_capital_budget,
           Elastic("£ over the budget ÷ the budget", lambda m, e, ids, c: _at_least_one(m.options.capital_budget),
                   _each(lambda m, e, ids, sign, amount: f"the capital budget £{m.options.capital_budget:,.0f} is "
                         f"£{amount:,.0f} short of the backlog and fit-out the other requirements need"))),
    Family("Estate-savings_target", "7c", "Board limits: savings target",
           "`Σ_s c[s] (1 − y[s]) ≥ S` (£/yr; `min_annual_saving_gbp`).", define_savings_target,
           Elastic("£/yr short of the target ÷ the target",
                   lambda m, e, ids, c: _at_least_one(m.options.min_annual_saving),
                   _each(lambda m, e, ids, sign, amount: f"the savings target £{m.options.min_annual_saving:,.0f}/yr "
                         f"can be met only to within £{amount:,.0f}/yr under the other requirements"))),
    Family("Estate-capacity_cover", "8", "Valid inequality",
           "`Σ_s a[s] y[s] ≥ Σ_k σ[k] Σ_z d[z,k]` (m²): kept space covers the need; tightens the LP bound without "
           "cutting off any plan.", define_capacity_cover,
           Elastic("m² short ÷ the total need (not reported: implied by the capacity rows)",
                   lambda m, e, ids, c: _at_least_one(-c.constant), lambda m, e, rows: [])),
    Family("Owner-position", "9", "Partner positions",
           "`Σ_{s∈o} (c[s] + φ b[s]) (1 − y[s]) + φ Σ_s ω[o,s] v[s] (1 − y[s]) − φ Σ_{k,s∈o} m[k] g[k,s] ≥ P[o]` "
           "(£/yr): each organisation's running cost and backlog saved plus its share `ω` of receipts (by "
           "`receipts_sharing`), less its move costs, reach its minimum (`min_owner_position_gbp`).",
           define_owner_positions,
           Elastic("£/yr below the minimum ÷ the larger of its size and the mean site's running cost",
                   lambda m, e, ids, c: max(abs(float(c.constant)), float(e.sites.running_cost_gbp.mean()), 1.0),
                   _each(_say_owner))),
    Family("Zone-travel_increase", "10a", "Equity: zones",
           "`Σ_s x[z,k,s] (t[z,s] − t̄[z,k] − Δ) ≤ 0` (minutes): no zone's mean trip to a service grows by more "
           "than `Δ` (`max_travel_increase_min`) over today's `t̄[z,k]`.", define_zone_travel_increase,
           Elastic("minutes over the limit ÷ the limit",
                   lambda m, e, ids, c: _at_least_one(m.options.max_travel_increase), _each(_say_zone_travel))),
    Family("Decile-travel_increase", "10b", "Equity: deprivation deciles",
           "`Σ_{z∈D,s} d[z,k] x[z,k,s] (t[z,s] − t̄[z,k] − Δ_D) ≤ 0` (demand-weighted minutes): no deprivation "
           "decile's mean trip grows by more than `Δ_D` (`max_decile_travel_increase_min`).",
           define_decile_travel_increase,
           Elastic("demand-weighted minutes over the limit ÷ the limit",
                   lambda m, e, ids, c: _at_least_one(m.options.max_decile_travel_increase),
                   _each(_say_decile_travel))),
)


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
