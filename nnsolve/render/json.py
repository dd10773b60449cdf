"""JSON: the solution's data as plain JSON numbers, sorted keys, always valid.

The layout is ``json.dumps(..., indent=2, sort_keys=True)``'s, with one exception that keeps
large problems fast and their files readable: an array of more than ``COMPACT_SIZE`` numbers is
written one innermost row per line (``[0.5, -1.25, ...]``) instead of one number per line. The
values are the same either way (``json.loads`` gives equal data); numbers are encoded by the
json module's C encoder, so a 10⁶-weight matrix takes a fraction of a second, not many.
"""

from __future__ import annotations

import json
import math

from ..numbers import to_json_number
from ..solution import Solution
from .base import RenderOptions

COMPACT_SIZE = 1000     # arrays with more numbers than this are written one row per line

_dumps_row = json.JSONEncoder(allow_nan=False).encode   # compact, C-accelerated
_string = json.encoder.encode_basestring_ascii


class _Block:
    """A large array, already as nested lists of JSON numbers, to be written row by row."""

    __slots__ = ("rows",)

    def __init__(self, rows):
        self.rows = rows


def _is_array(x) -> bool:
    return hasattr(x, "tolist") and hasattr(x, "ndim") and hasattr(x, "dtype")


def _array(x, compact: bool):
    """A numpy array → nested lists of JSON numbers (a _Block when large and ``compact``)."""
    if x.dtype != object and x.dtype.kind == "f":
        import numpy as np
        if not np.all(np.isfinite(x)):
            raise ValueError("non-finite value in the solution")
        x = x + 0.0              # -0.0 (a negative value too small for a float) becomes 0.0
        if x.ndim == 0:
            return to_json_number(float(x))
        if x.size > COMPACT_SIZE:
            rows = x.tolist()        # floats stay floats (as they always have for large arrays)
            return _Block(rows) if compact else rows
        return _float_list(x)
    if x.ndim == 0:
        return to_json_number(x.item() if x.dtype != object else x[()])
    if x.dtype == object:
        values = [to_json_number(v) for v in x.ravel().tolist()]
    else:                                # ints and bools: exact Python ints
        values = [int(v) for v in x.ravel().tolist()]
    rows = _nest(values, x.shape)
    return _Block(rows) if compact and x.size > COMPACT_SIZE else rows


def _nest(flat: list, shape: tuple):
    """A flat list in C order → nested lists of the shape."""
    if len(shape) == 1:
        return flat
    for n in reversed(shape[1:]):
        flat = [flat[i:i + n] for i in range(0, len(flat), n)]
    return flat


def _float_list(a):
    """A small float array as nested lists, integral values as ints."""
    if a.ndim == 0:
        return to_json_number(float(a))
    return [_float_list(r) for r in a] if a.ndim > 1 else [to_json_number(v) for v in a.tolist()]


def _convert(x, compact: bool):
    """Fractions, numpy arrays and scalars → JSON-ready values (large arrays as _Block)."""
    if isinstance(x, dict):
        return {str(k): _convert(v, compact) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_convert(v, compact) for v in x]
    if x is None or isinstance(x, (str, bool)):
        return x
    if _is_array(x):
        return _array(x, compact)
    return to_json_number(x)


def plain(x):
    """Fractions, numpy arrays and scalars → JSON-ready lists, ints and floats."""
    return _convert(x, compact=False)


def _scalar(x) -> str:
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, str):
        return _string(x)
    if isinstance(x, int):
        return int.__repr__(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError("non-finite value in the solution")
        return float.__repr__(x + 0.0)      # never -0.0
    raise TypeError(f"cannot write {type(x).__name__} as JSON")


def _bracketed(open_: str, close: str, items, depth: int, out: list, write) -> None:
    """Items one per line between brackets, indented as json.dumps(indent=2) indents them."""
    inner = "\n" + "  " * (depth + 1)
    out.append(open_)
    for i, item in enumerate(items):
        out.append(inner if i == 0 else "," + inner)
        write(item)
    out.append("\n" + "  " * depth + close)


def _block(rows, depth: int, out: list) -> None:
    """A large array: nested as indent=2 would nest it, its innermost rows one per line."""
    if not rows or not isinstance(rows[0], list):
        out.append(_dumps_row(rows))
        return
    _bracketed("[", "]", rows, depth, out, lambda r: _block(r, depth + 1, out))


def _write(x, depth: int, out: list) -> None:
    """x in the layout of json.dumps(indent=2, sort_keys=True), large arrays compact."""
    if isinstance(x, dict):
        if not x:
            out.append("{}")
            return
        def item(k):
            out.append(_string(k) + ": ")
            _write(x[k], depth + 1, out)
        _bracketed("{", "}", sorted(x), depth, out, item)
    elif isinstance(x, list):
        if not x:
            out.append("[]")
            return
        _bracketed("[", "]", x, depth, out, lambda v: _write(v, depth + 1, out))
    elif isinstance(x, _Block):
        _block(x.rows, depth, out)
    else:
        out.append(_scalar(x))


def render_json(solution: Solution, options: RenderOptions) -> str:
    """The JSON of a solution's data."""
    out: list[str] = []
    _write(_convert(solution.data, compact=True), 0, out)
    out.append("\n")
    return "".join(out)
