"""A pooling problem: an input (H×W or C×H×W) and a max or average pooling of it.

Built from a YAML file (``parse``) or from command-line options (``from_options``); both go
through ``build``, with a ``fail(field, message)`` that says where a wrong value came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...errors import ProblemError
from ...ops.pool import Pool
from ..common import choose_exact, to_mode
from ..conv.spec import option_fail, read_pool, times

FIELDS = ["kind", "title", "input", "type", "size", "stride", "padding", "ceil_mode"]
MAX_WORK = 2_000_000_000      # window cells visited
MAX_OUTPUT = 10_000_000       # numbers in the output (or the padded input)

PAD_NUMBERS = ("expected numbers for the padding: n, [rows, cols] or [[top, bottom], "
               "[left, right]] (pooling takes no \"same\" or \"valid\")")

Fail = Callable[[str, str], ProblemError]


@dataclass
class PoolProblem:
    """Max or average pooling of one input, with everything needed to show it."""

    input: object              # C×H×W array (object of Fractions when exact, else float64)
    input_shape: tuple         # as given: (H, W) or (C, H, W)
    pool: Pool
    exact: bool = True
    title: str | None = None
    kind: str = "pool"

    @property
    def channels_given(self) -> bool:
        """The input was given as C×H×W (so the output is C×H×W too)."""
        return len(self.input_shape) == 3


def build(x, pool: Pool, *, title: str | None = None, fail: Fail) -> PoolProblem:
    """Check the input and the window and put a PoolProblem together."""
    if x.ndim not in (2, 3):
        raise fail("input", f"expected an H×W matrix or C×H×W channels, got {x.ndim}-D"
                            + (f" of shape {times(x.shape)}" if x.ndim else ""))
    X = x if x.ndim == 3 else x.reshape((1,) + x.shape)
    C, H, W = X.shape
    for k, pads in zip(pool.size, pool.padding):
        if max(pads) * 2 > k:
            raise fail("padding", f"expected at most half the pool size ({k // 2}) on each "
                                  f"side, got {max(pads)} (as PyTorch refuses: a window could "
                                  f"hold padding only)")
    wrong = pool.misfit(H, W)
    if wrong is not None:
        raise fail("size", wrong)
    (pt, pb), (pl, pr) = pool.padding
    Ho, Wo = pool.out_size(H, W)
    if C * Ho * Wo > MAX_OUTPUT or C * Ho * Wo * pool.size[0] * pool.size[1] > MAX_WORK or \
            C * (H + pt + pb) * (W + pl + pr) > MAX_OUTPUT:
        raise fail("size", f"too large: {C}×{Ho}×{Wo} windows of {pool.size[0] * pool.size[1]} "
                           f"cells each")
    exact = choose_exact([X])
    return PoolProblem(to_mode(X, exact), tuple(x.shape), pool, exact, title)


def parse(doc) -> PoolProblem:
    """Build a PoolProblem from a problem file, checking every field and size."""
    doc.keys(FIELDS, required=["input", "type", "size"])
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    x = doc["input"].array(ndims=(2, 3), what="an input matrix (H×W) or channels (C×H×W)")
    pool = read_pool(doc, PAD_NUMBERS, ceil_mode=True)

    def fail(name: str, message: str) -> ProblemError:
        node = doc.get(name)
        return node.error(message) if node is not None else doc.error(message, field=name)

    return build(x, pool, title=title, fail=fail)


def from_options(input_path: str, *, type: str, size, stride=None, padding=None,
                 ceil_mode: bool = False) -> PoolProblem:
    """A PoolProblem from command-line options; errors name the option or the input's file."""
    from ...load.arrays import read_matrix_file
    if isinstance(padding, str):
        raise ProblemError(PAD_NUMBERS, "<options>", field="--padding")
    x = read_matrix_file(input_path)
    pool = Pool(type, size, stride or size, padding or ((0, 0), (0, 0)), ceil_mode)
    return build(x, pool, fail=option_fail({}, {"input": input_path}))
