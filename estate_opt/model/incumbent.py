r"""A primal heuristic: a good feasible plan in seconds, handed to the MIP solver as its first incumbent.

HiGHS proves the estate model's optimum from an LP bound that is already tight (Trafford: within
0.009%), but finds its first plan only after tens of seconds of root cuts. This module finds a plan
the LP points at, so the solver starts from a near-optimal incumbent and only has to close the gap.

Steps (all on the built model, so every constraint family the model has is respected):

1. **LP relaxation** (a fresh HiGHS object): its optimum :math:`\underline{z}` is a lower bound and
   its keep values :math:`\bar y_s` rank the sites.
2. **Round**: keep the sites with :math:`\bar y_s \ge 1/2`, then solve the model with every
   :math:`y_s` fixed (the *fixed-keep* problem: the allocation, hosting and fit-out). Its LP is
   often integral already; if not, fractional hosting variables are rounded up where that is
   feasible, else fixed one at a time by a dive (LP re-solved after each fix, one-level
   backtracking), else -- for the first plan only -- a short MIP with :math:`y` fixed.
3. **Repair**: while the fixed-keep problem is infeasible, also keep the next sites by
   :math:`\bar y_s` (then by reduced cost), one, two, four... at a time. If keeping sites cannot
   repair it (a site limit, budget or savings target binds), solve a restricted MIP with the
   LP-integral keep values fixed and the fractional ones free.
4. **Improve** by single moves -- drop a kept site, open a closed one, swap one for another --
   priced by the fixed-keep LP: its value :math:`V(y)` is convex in the fixed :math:`y`, so with
   :math:`d` its reduced costs, :math:`V(y') \ge V(y) + d^\top (y' - y)`; a move whose estimate
   does not beat the current plan cannot improve on it and is never solved. The others are solved
   in order of estimate and the first improving one is taken, until none is left or half the
   remaining budget is spent.
5. **Polish**: the fixed-keep MIP at the final sites, from the plan found, for the rest of the
   budget (the best hosting choices for those sites).

Every plan returned has been checked against every row and bound of the model (relative
tolerance 1e-6) with its integer variables exactly integral; when nothing feasible is found the
result is ``None``, never an infeasible start.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pulp

from estate_opt.model.formulation import EstateModel

_INT_TOL = 1e-6
_FEAS_TOL = 1e-6


@dataclass
class Incumbent:
    """A feasible plan found by the heuristic, as a warm start for :func:`estate_opt.model.solve.solve`."""

    start: dict[str, float]  # variable name -> value (the format ``solve(..., start=...)`` takes)
    objective: float  # the model's objective at the plan (£/yr for the single-period model)
    bound: float | None  # the LP relaxation's optimum: no plan costs less
    kept: list  # site ids kept
    seconds: float  # wall-clock time of the heuristic
    first_seconds: float | None = None  # time to its first feasible plan
    log: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Relative gap to the LP bound: an upper bound on the plan's distance from the optimum."""
        if self.bound is None or not math.isfinite(self.bound):
            return None
        return max(0.0, self.objective - self.bound) / max(abs(self.objective), 1e-9)


def heuristic_start(model: EstateModel, time_budget_s: float = 20.0, threads: int | None = None) -> dict | None:
    """The heuristic's plan as a start dict for ``solve(..., start=...)``, or ``None`` if it found none."""
    inc = find_incumbent(model, time_budget_s, threads)
    return inc.start if inc else None


def find_incumbent(model: EstateModel, time_budget_s: float = 20.0, threads: int | None = None,
                   progress=None) -> Incumbent | None:
    """Find a good feasible plan of ``model`` within about ``time_budget_s`` seconds (see the module doc).

    ``progress``, if given, is called with a line of text after each step. Returns ``None`` when the
    LP relaxation is infeasible or does not finish in the budget, or when no feasible plan is found.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_budget_s
    log: list[str] = []

    def note(msg: str) -> None:
        log.append(f"{time.perf_counter() - t0:6.1f} s  {msg}")
        if progress:
            progress(msg)

    arr = _Arrays(model.problem)
    ky = np.array([arr.index[y.name] for y in model.keep], dtype=np.int32)
    sites = list(model.keep.index)
    free = arr.lb[ky] < arr.ub[ky]  # not fixed by a must-retain / must-dispose flag
    if len(ky) == 0:
        return None

    lp = arr.highs(relax=True, time_limit=max(1.0, deadline - time.perf_counter()), threads=threads)
    lp.run()
    import highspy

    MS = highspy.HighsModelStatus
    if lp.getModelStatus() != MS.kOptimal:
        note(f"LP relaxation: {lp.modelStatusToString(lp.getModelStatus())}; no plan")
        return None
    sol = lp.getSolution()
    x_lp = np.asarray(sol.col_value)
    bound = float(lp.getInfo().objective_function_value)
    y_lp = x_lp[ky]
    d_lp = np.asarray(sol.col_dual)[ky]
    del lp
    frac = int(((y_lp > _INT_TOL) & (y_lp < 1 - _INT_TOL)).sum())
    note(f"LP relaxation: bound {bound:,.2f}; {frac} of {len(ky)} keep values fractional")

    ev = _FixedKeep(arr, ky, threads)
    kept = np.where(free, y_lp >= 0.5, arr.lb[ky] >= 0.5)
    best = ev.evaluate(kept, deadline) or ev.evaluate(kept, deadline, exact=True)
    first = time.perf_counter() - t0 if best else None
    if best is None:  # repair: keep more sites, most LP-wanted first
        order = [j for j in np.lexsort((d_lp, -y_lp)) if free[j] and not kept[j]]
        batch, i = 1, 0
        while best is None and i < len(order) and time.perf_counter() < deadline:
            kept = kept.copy()
            kept[order[i:i + batch]] = True
            i += batch
            batch *= 2
            best = ev.evaluate(kept, deadline) or ev.evaluate(kept, deadline, exact=True)
        if best is None and time.perf_counter() < deadline:
            note("keeping more sites does not repair the rounded plan; restricted MIP on the fractional sites")
            best = ev.restricted_mip(y_lp, free, deadline)
            if best is not None:
                kept = best.x[ky] > 0.5
        if best is None:
            note("no feasible plan found")
            return None
        first = time.perf_counter() - t0
    note(f"first plan: {int(kept.sum())} sites kept, {best.objective:,.2f} ({_gap(best.objective, bound):.4%} "
         "above the LP bound)")

    moves = 0
    moves_until = time.perf_counter() + 0.5 * (deadline - time.perf_counter())  # the rest for the polish
    while time.perf_counter() < moves_until:
        better = _improve(ev, kept, best, free, moves_until)
        if better is None:
            break
        kept, best = better
        moves += 1
    note(f"after {moves} improving moves: {int(kept.sum())} sites kept, {best.objective:,.2f} "
         f"({_gap(best.objective, bound):.4%} above the LP bound)"
         + ("" if time.perf_counter() < moves_until else "; time for moves spent"))
    if time.perf_counter() < deadline:
        polished = ev.polish(kept, best, deadline)
        if polished is not best:
            note(f"best hosting for the sites kept: {best.objective:,.2f} -> {polished.objective:,.2f}")
            best = polished
    start = {name: float(v) for name, v in zip(arr.names, best.x)}
    return Incumbent(start, best.objective, bound, [s for s, k in zip(sites, kept) if k],
                     time.perf_counter() - t0, first, log)


def _gap(obj: float, bound: float) -> float:
    return max(0.0, obj - bound) / max(abs(obj), 1e-9)


def _improve(ev: _FixedKeep, kept: np.ndarray, best: _Point, free: np.ndarray, deadline: float):
    """The first improving drop, open or swap, tried in order of its LP estimate; None if there is none."""
    d = best.duals  # reduced costs of y in the fixed-keep LP at ``kept``
    base = best.lp_value
    tol = 1e-9 * max(1.0, abs(best.objective))
    on = np.where(kept & free)[0]
    off = np.where(~kept & free)[0]
    cands = [(base - d[j] - best.objective, (j,), ()) for j in on]  # drop j
    cands += [(base + d[j] - best.objective, (), (j,)) for j in off]  # open j
    if len(on) and len(off):  # swap: drop i, open j
        est = base - d[on][:, None] + d[off][None, :] - best.objective
        ii, jj = np.nonzero(est < -tol)
        cands += [(est[a, b], (on[a],), (off[b],)) for a, b in zip(ii, jj)]
    cands = sorted((c for c in cands if c[0] < -tol), key=lambda c: c[0])
    for _, drop, add in cands:
        if time.perf_counter() >= deadline:
            return None
        trial = kept.copy()
        trial[list(drop)] = False
        trial[list(add)] = True
        p = ev.evaluate(trial, deadline)
        if p is not None and p.objective < best.objective - tol:
            return trial, p
    return None


@dataclass
class _Point:
    x: np.ndarray  # full column vector, integers exactly integral, checked feasible
    objective: float
    lp_value: float  # the fixed-keep LP's optimum (<= objective)
    duals: np.ndarray  # reduced costs of the keep columns in that LP


class _FixedKeep:
    """Solves the model with every keep variable fixed: one warm-started LP object, fresh MIPs if needed."""

    def __init__(self, arr: _Arrays, ky: np.ndarray, threads: int | None):
        self.arr, self.ky, self.threads = arr, ky, threads
        self.lp = arr.highs(relax=True, threads=threads)  # LP only: bounds change, never a MIP solve
        self.diver = None  # a second LP object for dives (keeps the first one's basis warm)
        self.cache: dict[bytes, _Point | None] = {}

    def evaluate(self, kept: np.ndarray, deadline: float, exact: bool = False) -> _Point | None:
        """The fixed-keep plan at ``kept``: LP, then rounding or a dive; with ``exact``, else a MIP."""
        key = (np.packbits(kept).tobytes(), exact)
        if key not in self.cache:
            self.exact = exact
            self.cache[key] = self._evaluate(kept, deadline)
        return self.cache[key]

    def _evaluate(self, kept: np.ndarray, deadline: float) -> _Point | None:
        import highspy

        v = kept.astype(float)
        self.lp.setOptionValue("time_limit", max(0.1, deadline - time.perf_counter()))
        self.lp.changeColsBounds(len(self.ky), self.ky, v, v)
        self.lp.run()
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = self.lp.getSolution()
        x = np.asarray(sol.col_value, dtype=float).copy()
        lp_value = float(self.lp.getInfo().objective_function_value)
        duals = np.asarray(sol.col_dual, dtype=float)[self.ky].copy()
        point = self._accept(x, lp_value, duals)
        if point is None:  # fractional hosting or programme choices: dive, then a short MIP with y fixed
            lo, hi = self.arr.lb.copy(), self.arr.ub.copy()
            lo[self.ky] = hi[self.ky] = v
            point = self._dive(x, lo, hi, lp_value, duals, deadline)
        if point is None and self.exact:
            x = self._mip(lo, hi, deadline, start=x)
            point = None if x is None else self._accept(x, lp_value, duals)
        return point

    def polish(self, kept: np.ndarray, best: _Point, deadline: float) -> _Point:
        """The fixed-keep MIP at ``kept`` from ``best``: the best hosting choices for those sites."""
        lo, hi = self.arr.lb.copy(), self.arr.ub.copy()
        lo[self.ky] = hi[self.ky] = kept.astype(float)
        x = self._mip(lo, hi, deadline, start=best.x)
        p = None if x is None else self._accept(x, best.lp_value, best.duals)
        return p if p is not None and p.objective < best.objective else best

    def _dive(self, x, lo, hi, lp_value, duals, deadline) -> _Point | None:
        """Fix fractional integer columns one at a time (the nearest to integral first, at its nearest
        value, else the other one) and re-solve the LP each time: a diving heuristic with one-level
        backtracking. None if both values of a column are infeasible."""
        import highspy

        a = self.arr
        if self.diver is None:
            self.diver = a.highs(relax=True, threads=self.threads)
        h = self.diver
        lo, hi = lo.copy(), hi.copy()
        ints = np.where(a.integer)[0]
        cols = np.arange(len(lo), dtype=np.int32)
        h.changeColsBounds(len(lo), cols, lo, hi)
        while True:
            xi = x[ints]
            dist = np.abs(xi - np.round(xi))
            if not (dist > _INT_TOL).any():
                return self._accept(x, lp_value, duals)
            j = ints[np.argmin(np.where(dist > _INT_TOL, dist, np.inf))]
            near = float(np.round(x[j]))
            for value in (near, math.floor(x[j]) if near > x[j] else math.ceil(x[j])):
                if time.perf_counter() >= deadline:
                    return None
                h.setOptionValue("time_limit", max(0.05, deadline - time.perf_counter()))
                h.changeColBounds(int(j), value, value)
                h.run()
                if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                    break
            else:
                return None
            lo[j] = hi[j] = value
            x = np.asarray(h.getSolution().col_value, dtype=float).copy()

    def restricted_mip(self, y_lp: np.ndarray, free: np.ndarray, deadline: float) -> _Point | None:
        """The MIP with the LP's integral keep values fixed and the fractional ones left free."""
        lo, hi = self.arr.lb.copy(), self.arr.ub.copy()
        ones = free & (y_lp >= 1 - _INT_TOL)
        zeros = free & (y_lp <= _INT_TOL)
        lo[self.ky[ones]] = 1.0
        hi[self.ky[zeros]] = 0.0
        x = self._mip(lo, hi, deadline)
        if x is None:
            return None
        kept = x[self.ky] > 0.5
        p = self.evaluate(kept, deadline)  # for its LP duals (and the same plan or a better allocation)
        return p if p is not None else self._accept(x, -math.inf, np.zeros(len(self.ky)))

    def _mip(self, lo, hi, deadline, start=None) -> np.ndarray | None:
        import highspy

        left = deadline - time.perf_counter()
        if left <= 0.05:
            return None
        h = self.arr.highs(relax=False, time_limit=left, threads=self.threads)  # fresh: never after an LP solve
        h.changeColsBounds(len(lo), np.arange(len(lo), dtype=np.int32), lo, hi)
        h.setOptionValue("mip_rel_gap", 1e-4)
        if start is not None:
            s = highspy.HighsSolution()
            s.col_value = list(np.clip(start, lo, hi))
            s.value_valid = True
            h.setSolution(s)
        h.run()
        if h.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible
            return None
        return np.asarray(h.getSolution().col_value, dtype=float).copy()

    def _accept(self, x: np.ndarray, lp_value: float, duals: np.ndarray) -> _Point | None:
        """Round the integer columns; keep the point only if it meets every row and bound."""
        a = self.arr
        xi = x[a.integer]
        near = np.round(xi)
        # a fractional hosting variable often has no cost of its own (x <= h <= y): rounding it up is
        # then feasible and free; otherwise nearest; a MIP decides when neither holds
        tries = [near] if np.all(np.abs(xi - near) <= _INT_TOL) else [np.where(np.abs(xi - near) <= _INT_TOL, near,
                                                                                np.ceil(xi)), near]
        for r in tries:
            y = x.copy()
            y[a.integer] = r
            y = np.clip(y, a.lb, a.ub)
            if a.feasible(y):
                return _Point(y, a.objective(y), lp_value, duals)
        return None


class _Arrays:
    """The PuLP problem as arrays (columns, CSR rows), to hand to fresh HiGHS objects and to check plans."""

    def __init__(self, problem: pulp.LpProblem):
        vs = problem.variables()
        self.names = [v.name for v in vs]
        self.index = {n: i for i, n in enumerate(self.names)}
        n = len(vs)
        self.lb = np.array([-np.inf if v.lowBound is None else v.lowBound for v in vs], dtype=float)
        self.ub = np.array([np.inf if v.upBound is None else v.upBound for v in vs], dtype=float)
        self.integer = np.array([v.cat == pulp.LpInteger for v in vs], dtype=bool)
        sign = -1.0 if problem.sense == pulp.LpMaximize else 1.0
        self.sign = sign
        self.cost = np.zeros(n)
        for v, c in problem.objective.items():
            self.cost[self.index[v.name]] = sign * c
        self.offset = sign * float(problem.objective.constant or 0.0)
        starts, idx, val, lo, up = [0], [], [], [], []
        for con in problem._constraints.values():  # as PuLP's own HiGHS reads them (no deprecation)
            for v, c in con.items():
                if c:
                    idx.append(self.index[v.name])
                    val.append(c)
            starts.append(len(idx))
            rhs = -float(con.constant or 0.0)  # PuLP keeps expr + constant (sense) 0
            lo.append(rhs if con.sense in (pulp.LpConstraintEQ, pulp.LpConstraintGE) else -np.inf)
            up.append(rhs if con.sense in (pulp.LpConstraintEQ, pulp.LpConstraintLE) else np.inf)
        self.start = np.array(starts, dtype=np.int32)
        self.col = np.array(idx, dtype=np.int32)
        self.val = np.array(val, dtype=float)
        self.rlo, self.rup = np.array(lo, dtype=float), np.array(up, dtype=float)
        self.row_of = np.repeat(np.arange(len(lo)), np.diff(self.start))

    def objective(self, x: np.ndarray) -> float:
        """The PuLP objective's value at ``x`` (in the problem's own sense)."""
        return self.sign * (float(self.cost @ x) + self.offset)

    def activity(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        terms = self.val * x[self.col]
        m = len(self.rlo)
        return np.bincount(self.row_of, terms, m), np.bincount(self.row_of, np.abs(terms), m)

    def feasible(self, x: np.ndarray) -> bool:
        """Every bound and row holds within a relative tolerance, integers are integral."""
        if np.any(x < self.lb - _FEAS_TOL) or np.any(x > self.ub + _FEAS_TOL):
            return False
        xi = x[self.integer]
        if np.any(np.abs(xi - np.round(xi)) > _INT_TOL):
            return False
        act, scale = self.activity(x)
        tol = _FEAS_TOL * (1.0 + np.maximum(scale, np.abs(np.nan_to_num(np.c_[self.rlo, self.rup], posinf=0,
                                                                              neginf=0)).max(axis=1)))
        return bool(np.all(act >= self.rlo - tol) and np.all(act <= self.rup + tol))

    def highs(self, relax: bool, time_limit: float | None = None, threads: int | None = None):
        """A fresh HiGHS object holding the model (integer columns relaxed if ``relax``), output off."""
        import highspy

        from estate_opt.model.solve import _no_banner

        lp = highspy.HighsLp()
        n, m = len(self.lb), len(self.rlo)
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.cost, self.lb, self.ub
        lp.row_lower_, lp.row_upper_ = self.rlo, self.rup
        lp.offset_ = self.offset
        a = lp.a_matrix_
        a.format_ = highspy.MatrixFormat.kRowwise
        a.num_col_, a.num_row_ = n, m
        a.start_, a.index_, a.value_ = self.start, self.col, self.val
        if not relax and self.integer.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                               for b in self.integer]
        with _no_banner():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        if threads:
            h.setOptionValue("threads", int(threads))
        h.passModel(lp)
        return h
