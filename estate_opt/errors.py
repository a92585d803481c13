"""Errors a user can act on.

Every problem with the inputs is an :class:`InputProblem` that names the file, the column, the
offending ids and what would fix it. Validation collects all of them before raising one
:class:`InputError`, so a user fixes a file in one pass rather than one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    source: str  # file (or scenario setting) the problem is in
    message: str  # what is wrong
    fix: str = ""  # what would fix it
    column: str | None = None
    ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = self.source + (f", column '{self.column}'" if self.column else "")
        ids = ""
        if self.ids:
            shown = ", ".join(str(i) for i in self.ids[:8])
            more = f" and {len(self.ids) - 8} more" if len(self.ids) > 8 else ""
            ids = f" [{shown}{more}]"
        fix = f"\n    fix: {self.fix}" if self.fix else ""
        return f"{where}: {self.message}{ids}{fix}"


class EstateOptError(Exception):
    """Base class: errors the CLI reports as a message, never as a traceback."""


class InputError(EstateOptError):
    """One or more problems with the input files or the scenario."""

    def __init__(self, problems: list[InputProblem] | InputProblem):
        self.problems = [problems] if isinstance(problems, InputProblem) else list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} with the inputs:"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])


class InfeasibleError(EstateOptError):
    """The scenario asks for something no plan can meet; the message says what."""


class SolverError(EstateOptError):
    """The solver failed or is missing; the message says what to do."""


class OutputError(EstateOptError):
    """The run refused to write (it would overwrite inputs or another run)."""


class VerifyError(EstateOptError):
    """A written plan does not satisfy its inputs."""


class Problems:
    """Collects problems; raise them all at once with :meth:`raise_if_any`."""

    def __init__(self) -> None:
        self.items: list[InputProblem] = []

    def add(self, source, message, fix="", column=None, ids=()) -> None:
        self.items.append(InputProblem(str(source), message, fix, column, tuple(str(i) for i in ids)))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
