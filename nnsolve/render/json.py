"""JSON: the solution's data as plain JSON numbers, sorted keys, always valid."""

from __future__ import annotations

import json

from ..numbers import to_json_number
from ..solution import Solution
from .base import RenderOptions


def plain(x):
    """Fractions, numpy arrays and scalars → JSON-ready lists, ints and floats."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if x is None or isinstance(x, (str, bool)):
        return x
    if hasattr(x, "tolist") and hasattr(x, "ndim"):
        if x.dtype != object and x.dtype.kind == "f":
            import numpy as np
            if not np.all(np.isfinite(x)):
                raise ValueError("non-finite value in the solution")
            return _float_list(x)
        return plain(x.tolist())
    return to_json_number(x)


def _float_list(a):
    """A float array as nested lists, integral values as ints (vectorised for large arrays)."""
    if a.ndim == 0:
        return to_json_number(float(a))
    if a.size > 1000:
        return a.tolist()
    return [_float_list(r) for r in a] if a.ndim > 1 else [to_json_number(v) for v in a.tolist()]


def render_json(solution: Solution | list, options: RenderOptions) -> str:
    """The JSON of a solution (a sheet's JSON is the list of its problems' JSON)."""
    data = [s.data for s in solution] if isinstance(solution, list) else solution.data
    return json.dumps(plain(data), sort_keys=True, indent=2, allow_nan=False) + "\n"
