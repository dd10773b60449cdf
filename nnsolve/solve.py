"""solve(problem): the solver of the problem's kind, returning a Solution."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from .kinds import solver_module


@dataclass(frozen=True)
class SolveOptions:
    """What the solver is asked for beyond the problem itself."""

    detail: str | None = None     # "full", "summary", or None: full while the problem is small
    verify: bool = False          # backprop: finite-difference check of every gradient


def solve(problem, options: SolveOptions | None = None, *, kind: str | None = None,
          detail: str | None = None, verify: bool = False):
    """Solve a problem (any kind, or a sheet) into a Solution.

    ``problem`` is a loaded problem spec, a path, YAML text or a dict (see
    ``nnsolve.load.problem_from``); ``kind`` is the kind expected when the problem does not say.
    In a notebook the Solution shows itself typeset; ``.to("text" | "markdown" | "latex" |
    "json")`` renders it, ``.data`` is its result as data."""
    if options is None:
        options = SolveOptions(detail=detail, verify=verify)
    if isinstance(problem, (str, dict)) or not hasattr(problem, "kind"):
        from .load import problem_from
        problem = problem_from(problem, kind)
    kind = getattr(problem, "kind", None)
    if kind == "sheet":
        from .sheet import solve_sheet
        return solve_sheet(problem, options)
    return solver_module(kind).solve(problem, options)


class _CallableModule(type(sys.modules[__name__])):
    """This module, callable as its ``solve``: importing ``nnsolve.solve`` binds the package's
    ``solve`` attribute to the module, and ``nnsolve.solve(problem)`` must still solve."""

    def __call__(self, *args, **kwargs):
        return solve(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
