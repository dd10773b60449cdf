"""solve(problem): the solver of the problem's kind, returning a Solution."""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import solver_module


@dataclass(frozen=True)
class SolveOptions:
    """What the solver is asked for beyond the problem itself."""

    detail: str | None = None     # "full", "summary", or None: full while the problem is small
    verify: bool = False          # backprop: finite-difference check of every gradient


def solve(problem, options: SolveOptions | None = None):
    """Solve a problem spec (any kind, or a sheet) into a Solution."""
    options = options or SolveOptions()
    kind = getattr(problem, "kind", None)
    if kind == "sheet":
        from .sheet import solve_sheet
        return solve_sheet(problem, options)
    return solver_module(kind).solve(problem, options)
