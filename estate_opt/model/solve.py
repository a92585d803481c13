"""Solve a built model and say honestly what the solver proved.

PuLP reports ``status == Optimal`` when a time limit stops HiGHS or CBC with an incumbent;
only the solution status tells "optimal" from "integer feasible". So the status here is read
from the solver itself (HiGHS model status and primal solution status; CBC's result line and
solution file), mapped to one :class:`Status`, and the proven gap is reported with every plan.
Values are read only when a solution exists.

CBC runs as a child process in its own process group with a hard wall-clock limit, so a
time-out or Ctrl-C ends CBC too (PuLP's own call leaves it running when Python is killed).

Progress: ``solve(..., on_progress=f)`` calls ``f(SolveProgress)`` (elapsed seconds, best plan in
£/yr, proven bound, gap) every ``progress_every_s`` seconds while the solver runs, and once at the
end. HiGHS runs in a worker thread and the calling thread waits, so a report is due on time even
while HiGHS is deep in root cuts (its own MIP callbacks can be 10+ s apart there). Ctrl-C (or
``f`` returning ``True``, a Stop button) asks HiGHS to stop; if it holds a plan by then, the result
is that plan, :attr:`Status.FEASIBLE` with its gap and ``interrupted=True``; with no plan yet,
Ctrl-C is raised as ``KeyboardInterrupt`` as before.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pulp

from estate_opt.errors import SolverError
from estate_opt.inputs.scenario import Solver


class Status(str, enum.Enum):
    OPTIMAL = "optimal"  # proven optimal within the gap tolerance
    FEASIBLE = "feasible"  # a plan, stopped by a limit before proof; see the gap
    INFEASIBLE = "infeasible"  # no plan meets every constraint
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped by a limit before any plan was found
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass
class SolveResult:
    status: Status
    solver: str
    solver_version: str
    objective: float | None = None  # £/yr (the model's objective)
    bound: float | None = None  # best proven lower bound
    gap: float | None = None  # relative: (objective - bound) / |objective|
    seconds: float = 0.0
    time_limit_s: float | None = None
    gap_tolerance: float | None = None
    message: str = ""
    log: list[str] = field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C (or the progress callback): the best plan so far

    @property
    def gap_abs(self) -> float | None:
        """objective - bound, in the objective's unit (£/yr for a plan, £ NPV for a programme)."""
        if self.objective is None or self.bound is None or not math.isfinite(self.bound):
            return None
        return max(0.0, self.objective - self.bound)

    def describe(self) -> str:
        gap = "n/a" if self.gap is None else f"{self.gap:.4%}"
        return f"{self.status.value} (gap {gap}, {self.solver} {self.seconds:.1f} s)"

    def proven_within(self, unit: str = "/yr") -> str:
        """The gap as a board reads it: 'within £1,754/yr (0.0088%) of the best possible plan'."""
        if self.gap_abs is None:
            return "with no proven bound on how far it is from the best possible plan"
        rel = "" if self.gap is None else f" ({self.gap:.4%})"
        return f"within £{self.gap_abs:,.0f}{unit}{rel} of the best possible plan"


@dataclass(frozen=True)
class SolveProgress:
    """A progress report during a solve (see the module docstring)."""

    seconds: float  # elapsed since the solve started
    objective: float | None  # best plan found so far, £/yr (None: none yet)
    bound: float | None  # best proven lower bound (None: none yet)
    gap: float | None  # relative: (objective - bound) / |objective|

    def describe(self) -> str:
        obj = "no plan yet" if self.objective is None else f"best £{self.objective:,.0f}/yr"
        bound = "" if self.bound is None else f", bound £{self.bound:,.0f}/yr"
        gap = "" if self.gap is None else f", gap {self.gap:.4%}"
        return f"{self.seconds:6.1f} s  {obj}{bound}{gap}"


OnProgress = Callable[[SolveProgress], "bool | None"]  # return True to stop (keeping the best plan)


def solve(problem: pulp.LpProblem, settings: Solver | None = None, start: dict | None = None,
          relax: bool = False, on_progress: OnProgress | None = None,
          progress_every_s: float = 2.0) -> SolveResult:
    """Solve ``problem`` with the settings' solver; never raises for infeasible or time-limited runs.

    ``start`` (variable name -> value) is a known plan handed to the solver as its first incumbent
    (a warm start): the solver then only has to beat it, or prove it optimal. ``relax`` solves the
    linear relaxation instead (HiGHS): its optimum is a lower bound on the problem's.
    ``on_progress`` is called with a :class:`SolveProgress` every ``progress_every_s`` seconds and at
    the end; if it returns ``True`` the solve stops and returns the best plan found so far.
    Ctrl-C during a HiGHS solve does the same when a plan exists, and raises KeyboardInterrupt otherwise.
    """
    settings = settings or Solver()
    if settings.name == "highs" or relax:
        return _solve_highs(problem, settings, start, relax, on_progress, progress_every_s)
    if settings.name == "cbc":
        if settings.options:
            raise SolverError("solver.options are HiGHS options; remove them to use CBC")
        return _solve_cbc(problem, settings, start, on_progress, progress_every_s)
    raise SolverError(f"unknown solver '{settings.name}': use highs or cbc")


def values_of(problem: pulp.LpProblem) -> dict:
    """The current value of every variable, by name: a warm start for a related solve."""
    return {v.name: v.varValue for v in problem.variables() if v.varValue is not None}


def _relative_gap(obj, bound) -> float | None:
    if obj is None or bound is None or not math.isfinite(obj) or not math.isfinite(bound):
        return None
    return max(0.0, obj - bound) / max(abs(obj), 1e-9)


class _Watch:
    """What HiGHS has reported so far (written by its callbacks), and the request to stop."""

    def __init__(self, on_progress: OnProgress | None, every: float):
        self.on_progress, self.every = on_progress, every
        self.t0 = time.perf_counter()
        self.last = self.t0
        self.objective: float | None = None
        self.bound: float | None = None
        self.solution: list | None = None  # the best plan's column values (HiGHS may drop it when interrupted)
        self.stop = False  # set by Ctrl-C or the progress callback; the callbacks pass it on to HiGHS
        self.user_stopped = False
        self.error: BaseException | None = None

    def on_mip(self, e) -> None:
        out = e.data_out
        if e.callback_type == _highs_cb().HighsCallbackType.kCallbackMipImprovingSolution:
            v = out.objective_function_value
            if v is not None and math.isfinite(v) and (self.objective is None or v <= self.objective):
                self.solution = [float(x) for x in out.mip_solution]
        else:
            v = out.mip_primal_bound
        if v is not None and math.isfinite(v):
            self.objective = v if self.objective is None else min(self.objective, v)
        b = out.mip_dual_bound
        if b is not None and math.isfinite(b):
            self.bound = b
        self.on_interrupt_check(e)

    def on_interrupt_check(self, e) -> None:
        if self.stop and e.callback_type != _highs_cb().HighsCallbackType.kCallbackMipImprovingSolution:
            e.interrupt()

    def snapshot(self) -> SolveProgress:
        obj, bound = self.objective, self.bound
        return SolveProgress(time.perf_counter() - self.t0, obj, bound, _relative_gap(obj, bound))

    def report(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.on_progress is None or (not force and now - self.last < self.every):
            return
        self.last = now
        try:
            if self.on_progress(self.snapshot()) is True:
                self.stop = self.user_stopped = True
        except Exception as exc:  # noqa: BLE001 -- stop the solve, re-raise in the caller (Ctrl-C passes through)
            self.error, self.stop = exc, True


def _highs_cb():
    import highspy

    return highspy.cb


class _HiGHS(pulp.HiGHS):
    """PuLP's HiGHS, told the objective's constant (so its gap is the true relative gap), without the
    banner HiGHS prints when created even with output off, reporting progress and stoppable by Ctrl-C."""

    def __init__(self, *args, start: dict | None = None, on_progress: OnProgress | None = None,
                 progress_every_s: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.start = start
        self.watch = _Watch(on_progress, progress_every_s)
        self.interrupts = 0  # Ctrl-C presses heard during the solve

    def buildSolverModel(self, lp):
        super().buildSolverModel(lp)
        lp.solverModel.changeObjectiveOffset(float(lp.objective.constant or 0.0))
        if self.start:
            import highspy

            sol = highspy.HighsSolution()
            sol.col_value = [float(self.start.get(v.name, 0.0) or 0.0) for v in lp.variables()]
            sol.value_valid = True
            lp.solverModel.setSolution(sol)  # HiGHS checks it; an infeasible start is simply ignored

    def callSolver(self, lp):
        # HiGHS runs in a worker thread (its run() releases the GIL); this thread reports progress and
        # hears Ctrl-C, which the interrupt callbacks pass on to HiGHS as a clean stop (model status
        # "interrupt", the incumbent kept). A third Ctrl-C abandons the solve at once.
        h, w = lp.solverModel, self.watch
        h.cbMipInterrupt += w.on_mip
        h.cbMipImprovingSolution += w.on_mip
        h.cbSimplexInterrupt += w.on_interrupt_check
        h.cbIpmInterrupt += w.on_interrupt_check
        failure: list[BaseException] = []

        def run():
            try:
                h.run()
            except Exception as exc:  # noqa: BLE001 -- surfaced in the calling thread
                failure.append(exc)
            finally:
                # HiGHS's task scheduler belongs to the thread that ran it; left alive, its worker
                # threads abort the process at exit ("terminate called without an active exception").
                h.resetThreadScheduler(True)

        worker = threading.Thread(target=run, name="highs", daemon=True)
        w.t0 = w.last = time.perf_counter()
        with _ctrl_c_presses() as presses:
            worker.start()
            while worker.is_alive():
                for _ in range(presses(0.2)):
                    self.interrupts += 1
                    w.stop = True
                    if self.interrupts >= 3:
                        raise KeyboardInterrupt
                    print("estate-opt: stopping the solver; the best plan so far is kept (Ctrl-C twice more to "
                          "abandon)", file=sys.stderr)
                w.report()
        w.report(force=True)
        if failure:
            raise failure[0]
        if w.error is not None:
            raise w.error

    def createAndConfigureSolver(self, lp):
        if self.msg:
            return super().createAndConfigureSolver(lp)
        with _no_banner():
            super().createAndConfigureSolver(lp)


@contextlib.contextmanager
def _ctrl_c_presses():
    """Yield ``presses(timeout)``: wait up to ``timeout`` s and return how many Ctrl-C came meanwhile.

    On the main thread Ctrl-C is counted through a wakeup pipe that the interpreter's C-level handler
    writes to, whichever thread the kernel hands the signal to: under load, a KeyboardInterrupt meant for
    a thread waiting on the HiGHS thread was seen never to be raised (the solve then ran to its limit).
    Elsewhere (a worker thread of a web server) it only waits; the caller stops solves by its callback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda timeout: (time.sleep(timeout), 0)[1]
        return
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    old_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    old_handler = signal.signal(signal.SIGINT, lambda signum, frame: None)  # counted from the pipe instead

    def presses(timeout: float) -> int:
        ready, _, _ = select.select([read], [], [], timeout)
        if not ready:
            return 0
        try:
            return os.read(read, 512).count(bytes([signal.SIGINT]))
        except BlockingIOError:
            return 0

    try:
        yield presses
    finally:
        signal.signal(signal.SIGINT, old_handler)
        signal.set_wakeup_fd(old_fd)
        os.close(read)
        os.close(write)


@contextlib.contextmanager
def _no_banner():
    """Silence the banner HiGHS writes to file descriptor 1 when an instance is created."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve_highs(problem: pulp.LpProblem, s: Solver, start: dict | None = None, relax: bool = False,
                 on_progress: OnProgress | None = None, progress_every_s: float = 2.0) -> SolveResult:
    try:
        import highspy
    except ImportError:
        raise SolverError("HiGHS is not installed: pip install highspy (or choose solver: cbc)") from None
    options = dict(s.options or {})
    if options:  # refuse an unknown name or value instead of letting HiGHS ignore it
        with _no_banner():
            probe = highspy.Highs()
        probe.setOptionValue("output_flag", False)
        for k, v in options.items():
            if probe.setOptionValue(str(k), v) == highspy.HighsStatus.kError:
                raise SolverError(f"solver.options: HiGHS has no option '{k}' taking the value {v!r}; see "
                                  "https://ergo-code.github.io/HiGHS/stable/options/definitions/")
    solver = _HiGHS(mip=not relax, msg=s.log, gapRel=s.mip_gap, gapAbs=0.0 if s.mip_gap == 0 else None,
                    threads=s.threads, timeLimit=s.time_limit_s, start=None if relax else start,
                    on_progress=on_progress, progress_every_s=progress_every_s, **options)
    t0 = time.perf_counter()
    try:
        problem.solve(solver)
    except pulp.PulpSolverError as e:
        return SolveResult(Status.ERROR, "highs", highspy.__version__ if hasattr(highspy, "__version__") else "",
                           seconds=time.perf_counter() - t0, message=f"HiGHS failed: {e}")
    seconds = time.perf_counter() - t0
    h = problem.solverModel
    info = h.getInfo()
    ms = h.getModelStatus()
    MS = highspy.HighsModelStatus
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    # a stop heard during presolve can end HiGHS with status "Not Set" rather than "interrupt"
    interrupted = ms == MS.kInterrupt or (solver.watch.stop and ms == MS.kNotset)
    kept = None  # HiGHS stopped without handing back a plan it had reported, or before taking up the start
    if interrupted and not relax and not has_primal:
        seen = solver.watch.solution
        if seen is not None and len(seen) == len(problem.variables()):
            kept = dict(zip((v.name for v in problem.variables()), seen))
        elif start and _start_is_plan(problem, start):
            kept = start
    if kept is not None and _start_is_plan(problem, kept):
        problem.assignVarsVals(kept)
        obj = pulp.value(problem.objective)
        bound = solver.watch.bound
        gap = _relative_gap(obj, bound)
        return SolveResult(Status.FEASIBLE, "highs", f"{h.version()}", obj, bound, gap, seconds, s.time_limit_s,
                           s.mip_gap, message=_stopped(solver, gap), interrupted=True)
    if interrupted and (relax or not has_primal):  # stopped before any plan: nothing to keep
        if solver.watch.user_stopped:
            return SolveResult(Status.NO_SOLUTION, "highs", f"{h.version()}", seconds=seconds,
                               time_limit_s=s.time_limit_s, gap_tolerance=s.mip_gap,
                               message="stopped by the progress callback before any plan was found",
                               interrupted=True)
        raise KeyboardInterrupt
    is_mip = not relax and any(v.cat == pulp.LpInteger for v in problem.variables())
    obj = info.objective_function_value if has_primal else None  # includes the offset (see _HiGHS)
    if is_mip:
        bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else solver.watch.bound
    else:
        bound = obj if ms == MS.kOptimal else None
    version = f"{h.version()}" if hasattr(h, "version") else ""
    if ms == MS.kOptimal:
        status = Status.OPTIMAL
    elif ms in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
        status = Status.INFEASIBLE
    elif ms == MS.kUnbounded:
        status = Status.UNBOUNDED
    elif interrupted or ms in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kObjectiveBound,
                               MS.kObjectiveTarget) or "limit" in h.modelStatusToString(ms).lower():
        status = Status.FEASIBLE if has_primal else Status.NO_SOLUTION
    else:
        status = Status.ERROR
    if status == Status.OPTIMAL and not has_primal:
        status = Status.ERROR  # "optimal" without a primal solution is not a plan
    gap = _relative_gap(obj, bound) if is_mip else (0.0 if status == Status.OPTIMAL else None)
    message = h.modelStatusToString(ms)
    if interrupted:
        message = _stopped(solver, gap)
    return SolveResult(status, "highs", version, obj, bound, gap, seconds, s.time_limit_s, s.mip_gap,
                       message=message, interrupted=interrupted)


def _stopped(solver: _HiGHS, gap: float | None) -> str:
    who = "by the progress callback" if solver.watch.user_stopped else "by Ctrl-C"
    return f"stopped {who}: the best plan found so far, " + \
        ("no bound proven yet" if gap is None else f"within {gap:.4%} of the proven bound")


def _start_is_plan(problem: pulp.LpProblem, start: dict) -> bool:
    """Whether ``start`` meets every bound, row and integrality of ``problem`` (relative tolerance 1e-6)."""
    import numpy as np

    from estate_opt.model.incumbent import _Arrays

    arr = _Arrays(problem)
    return arr.feasible(np.array([float(start.get(n, 0.0) or 0.0) for n in arr.names]))


_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_NUM = {k: re.compile(rf"^{k}:\s+(\S+)", re.M) for k in ("Objective value", "Lower bound", "Gap")}


def _solve_cbc(problem: pulp.LpProblem, s: Solver, start: dict | None = None,
               on_progress: OnProgress | None = None, progress_every_s: float = 2.0) -> SolveResult:
    path = _cbc_path()
    if path is None:
        raise SolverError("CBC is not available: install it (apt install coinor-cbc, or pip install 'pulp[cbc]') "
                          "or choose solver: highs")
    cmd = pulp.COIN_CMD(path=path, msg=False)  # used only to read CBC's solution file
    with tempfile.TemporaryDirectory(prefix="estate_opt_cbc_") as tmp:
        mps, sol, logf = Path(tmp, "model.mps"), Path(tmp, "model.sol"), Path(tmp, "cbc.log")
        vs, var_names, con_names = _write_mps_with_offset(problem, mps)
        args = [cmd.path, str(mps)]
        if start:
            mst = Path(tmp, "start.mst")
            for v in vs:
                v.varValue = start.get(v.name, 0.0) if v.name != "Objective_offset" else 1.0
            cmd.writesol(str(mst), problem, vs, var_names, con_names)
            args += ["-mips", str(mst)]
        args += ["-sec", f"{s.time_limit_s:g}", "-timeMode", "elapsed",
                "-ratioGap", f"{s.mip_gap:g}", "-allowableGap", "0" if s.mip_gap == 0 else "1e-9"]
        if s.threads:
            args += ["-threads", str(s.threads)]
        args += ["-solve", "-printingOptions", "all", "-solution", str(sol)]
        t0 = time.perf_counter()
        # CBC can overrun its own limit (root LP on big capacitated models); enforce a hard one.
        hard = s.time_limit_s + max(10.0, 0.25 * s.time_limit_s)
        killed = False
        with open(logf, "w") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                _wait_reporting(proc, hard, t0, on_progress, progress_every_s)
            except subprocess.TimeoutExpired:
                killed = True
                _kill_group(proc)
            except BaseException:
                _kill_group(proc)  # Ctrl-C or any error: never leave CBC running
                raise
        seconds = time.perf_counter() - t0
        text = logf.read_text(errors="replace")
        version = (re.search(r"Version:\s*(\S+)", text) or re.search(r"(\d+\.\d+\.\d+)", text))
        version = version.group(1) if version else ""
        if killed:
            return SolveResult(Status.NO_SOLUTION, "cbc", version, seconds=seconds, time_limit_s=s.time_limit_s,
                               gap_tolerance=s.mip_gap, message=f"CBC overran its {s.time_limit_s:g} s limit and "
                               f"was stopped after {seconds:.0f} s with no plan read", log=text.splitlines()[-30:])
        result = (_CBC_RESULT.search(text).group(1).strip() if _CBC_RESULT.search(text) else "")
        if not sol.exists():
            return SolveResult(Status.ERROR, "cbc", version, seconds=seconds, message=f"CBC wrote no solution: {result}",
                               log=text.splitlines()[-30:])
        status0, values, *_ = cmd.readsol_MPS(str(sol), problem, vs, var_names, con_names)
        first = sol.read_text().splitlines()[0] if sol.read_text() else ""
    nums = {k: float(m.group(1)) for k, r in _CBC_NUM.items() if (m := r.search(text))}
    status = _cbc_status(result, first, text, nums)
    obj = bound = None
    if status.has_solution:
        problem.assignVarsVals({k: v for k, v in values.items() if k != "Objective_offset"})
        obj = pulp.value(problem.objective)
        bound = nums["Lower bound"] if "Lower bound" in nums else (obj if status == Status.OPTIMAL else None)
    gap = _relative_gap(obj, bound)
    if status == Status.OPTIMAL and gap is None:
        gap = 0.0
    return SolveResult(status, "cbc", version, obj, bound, gap, seconds, s.time_limit_s, s.mip_gap,
                       message=result, log=text.splitlines()[-30:])


def _wait_reporting(proc: subprocess.Popen, timeout: float, t0: float, on_progress, every: float) -> None:
    """Wait for CBC, reporting elapsed time (CBC's bounds are read only from its final log)."""
    if on_progress is None:
        proc.wait(timeout=timeout)
        return
    while True:
        left = t0 + timeout - time.perf_counter()
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        try:
            proc.wait(timeout=min(every, left))
            return
        except subprocess.TimeoutExpired:
            if on_progress(SolveProgress(time.perf_counter() - t0, None, None, None)) is True:
                _kill_group(proc)
                return


def _write_mps_with_offset(problem: pulp.LpProblem, path: Path):
    """Write the MPS file with the objective's constant carried by a variable fixed at 1.

    MPS has no objective constant, so CBC would otherwise judge its gap on a shifted objective
    and report objective values and bounds that leave the constant out.
    """
    import warnings

    const = float(problem.objective.constant or 0.0)
    if not const:
        vs, var_names, con_names, _ = problem.writeMPS(str(path), rename=1)
        return vs, var_names, con_names
    saved = problem.objective
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        one = pulp.LpVariable("Objective_offset", 1, 1)
    problem.objective = pulp.LpAffineExpression([*saved.items(), (one, const)])
    try:
        vs, var_names, con_names, _ = problem.writeMPS(str(path), rename=1)
    finally:
        problem.objective = saved
    return vs, var_names, con_names


def _cbc_path() -> str | None:
    """A CBC binary: one on PATH first, else the one bundled with PuLP 3."""
    import shutil

    from pulp.apis import coin_api

    for p in (shutil.which("cbc"), getattr(coin_api, "pulp_cbc_path", None)):
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def _cbc_status(result: str, first: str, text: str, nums: dict) -> Status:
    """CBC's outcome from its 'Result -' line, its solution file's first line and its log."""
    low, head, log = result.lower(), first.lower(), text.lower()
    if "optimal solution found" in low or head.startswith("optimal"):
        return Status.OPTIMAL
    if "infeasible" in low or "problem is infeasible" in log or head.startswith(("infeasible", "integer infeasible")):
        return Status.INFEASIBLE
    if "unbounded" in low or "problem is unbounded" in log or head.startswith("unbounded"):
        return Status.UNBOUNDED
    if "stopped" in low or head.startswith("stopped"):
        found = "objective value" in head and nums.get("Objective value", 0.0) < 1e49 and \
            "no feasible solution" not in log and "no integer solution" not in log
        return Status.FEASIBLE if found else Status.NO_SOLUTION
    return Status.ERROR


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
