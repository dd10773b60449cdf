"""solve(problem): the solver of the problem's kind, returning a Solution."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from fractions import Fraction

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
    # Every number of the result fits a float (JSON needs it, and every format shows the same
    # numbers): a problem whose numbers outgrow floating point is refused with a ProblemError
    # naming the first such value, never written as `inf` or failing in a renderer. numpy's
    # overflow warnings are therefore off while a solver runs: the check below reports them.
    np = sys.modules.get("numpy")      # a problem with arrays has loaded it; shape never needs it
    try:
        if np is None:
            solution = solver_module(kind).solve(problem, options)
        else:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                solution = solver_module(kind).solve(problem, options)
    except OverflowError:              # an exact value too large to become a float
        raise _outgrown(problem, None) from None
    bad = _unwritable(solution.data, "")
    if bad is not None:
        raise _outgrown(problem, bad)
    return solution


_MAX = Fraction(sys.float_info.max)


def _outgrown(problem, where):
    """The error of a value beyond the float range: at the problem file (its line and field
    where the problem knows which part of it the value belongs to: a shape's layer)."""
    from .errors import ProblemError
    at = f" ({where})" if where else ""
    loc = None
    if where and hasattr(problem, "where_of"):
        loc = problem.where_of(where)
    if loc is None:
        loc = getattr(problem, "where", None)
    loc = tuple(loc) if isinstance(loc, tuple) and len(loc) == 4 else (None, None, None, None)
    return ProblemError(f"a number of the solution{at} is beyond ±1.8e308, the range of a "
                        f"float that every format shares, or undefined: use smaller values",
                        *loc[:3], loc[3] or None)


def _unwritable(x, path: str):
    """The path (as in the JSON) of the first value that is not a finite float-sized number,
    or None."""
    if isinstance(x, dict):
        for k in sorted(x, key=str):
            bad = _unwritable(x[k], f"{path}.{k}" if path else str(k))
            if bad is not None:
                return bad
        return None
    if isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            bad = _unwritable(v, f"{path}[{i}]")
            if bad is not None:
                return bad
        return None
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return None
    if isinstance(x, float):
        return None if math.isfinite(x) else path
    if isinstance(x, (int, Fraction)):
        return None if abs(x) <= _MAX else path
    if hasattr(x, "dtype") and hasattr(x, "ravel"):
        if x.dtype.kind == "f":
            np = sys.modules["numpy"]
            return None if bool(np.isfinite(x).all()) else path
        if x.dtype == object:
            for v in x.ravel().tolist():
                if _unwritable(v, path) is not None:
                    return path
        return None
    if hasattr(x, "__float__"):        # a numpy scalar
        try:
            return None if math.isfinite(float(x)) else path
        except OverflowError:
            return path
    return None


from .callable_module import callable_as  # noqa: E402  (after solve is defined)

callable_as(__name__, solve)
