"""Max and average pooling over the last two axes, forward beside backward, on whole arrays.

One definition for every kind that pools: ``nnsolve pool``, conv's ``pool:`` option and pool layers
of a CNN in ``backprop``. Arrays are H×W, C×H×W or N×C×H×W (any leading axes), exact (object
arrays of Fractions) or float64; the work is one whole-array operation per cell of the window
(kh·kw of them), so a large image stays vectorised.

The rules (PyTorch's ``max_pool2d`` / ``avg_pool2d(count_include_pad=False)``):
- max pads with −∞: padding never wins; a tie goes to the first cell in row-major order, and the
  backward pass routes ∂J/∂y of a window to that cell alone;
- avg averages the cells of the window that are not padding, and the backward pass spreads
  ∂J/∂y equally over them;
- the output has ⌊(i + p_before + p_after − k)/s⌋ + 1 positions per axis (⌈…⌉ + 1 with
  ``ceil_mode``, where a last window that would start in the trailing padding is dropped); a
  window that reaches past the padded input (ceil mode) has its outside cells left out like
  padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..sizes import pool_out, pool_padding_fits, window_fits

__all__ = ["Pool", "Window", "TYPES"]

TYPES = ("max", "avg")

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]      # ((top, bottom), (left, right))

_NEG_INF = float("-inf")


@dataclass(frozen=True)
class Window:
    """One pooling window: its output position and the input cells it covers (0-based).

    ``rows`` and ``cols`` are the covered rows and columns of the unpadded input; ``outside`` is
    how many of the window's kh·kw cells lie in the padding (or past it, in ceil mode)."""

    row: int
    col: int
    rows: range
    cols: range
    outside: int

    @property
    def cells(self) -> list[tuple[int, int]]:
        """The covered input cells (row, col), in row-major order."""
        return [(r, c) for r in self.rows for c in self.cols]

    @property
    def count(self) -> int:
        """How many input cells the window covers (avg pooling's divisor)."""
        return len(self.rows) * len(self.cols)


@dataclass(frozen=True)
class Pool:
    """Max or average pooling: ``size`` windows moved by ``stride`` over a padded input."""

    type: str                              # "max" or "avg"
    size: Pair                             # (kh, kw)
    stride: Pair                           # (sh, sw); a problem's default is the size
    padding: Pads = ((0, 0), (0, 0))
    ceil_mode: bool = False
    # a student's swapped rule, for `check` to re-solve with (never set by a problem):
    # "padding_counted": avg divides by the window's cells in the padded input, padding
    # included (PyTorch's count_include_pad=True); "zero_padding": max pads with 0, not −∞;
    # backward only: "gradient_copied", "gradient_spread" (see ``backward``)
    mistake: str | None = None

    # --- sizes ----------------------------------------------------------------------------

    def out_size(self, H: int, W: int) -> Pair:
        """(Ho, Wo), the window positions on each axis."""
        return tuple(pool_out(n, p, k, s, self.ceil_mode)
                     for n, p, k, s in zip((H, W), self.padding, self.size, self.stride))

    def misfit(self, H: int, W: int) -> str | None:
        """Why this pooling cannot be applied to an H×W map (words, no field), or None."""
        (kh, kw) = self.size
        for k, pads in zip(self.size, self.padding):
            if not pool_padding_fits(pads, k):
                return (f"padding {max(pads)} is more than half the pool size {k}: at most "
                        f"{k // 2} on each side (a window would hold padding only)")
        if not all(window_fits(n, p, k) for n, p, k in zip((H, W), self.padding, self.size)):
            (pt, pb), (pl, pr) = self.padding
            padded = f"{H + pt + pb}×{W + pl + pr} after padding" \
                if (pt, pb, pl, pr) != (0, 0, 0, 0) else f"{H}×{W}"
            return f"the pool window ({kh}×{kw}) is larger than the input ({padded}); " \
                   f"no window fits"
        return None

    # --- windows, for explanations ----------------------------------------------------------

    def window(self, i: int, j: int, H: int, W: int) -> Window:
        """Output position (i, j) on an H×W map: the cells it covers."""
        (kh, kw), (sh, sw) = self.size, self.stride
        (pt, _), (pl, _) = self.padding
        r0, c0 = i * sh - pt, j * sw - pl
        rows = range(max(r0, 0), min(r0 + kh, H))
        cols = range(max(c0, 0), min(c0 + kw, W))
        return Window(i, j, rows, cols, kh * kw - len(rows) * len(cols))

    def windows(self, H: int, W: int):
        """Every window of an H×W map, in row-major order of the output."""
        Ho, Wo = self.out_size(H, W)
        for i in range(Ho):
            for j in range(Wo):
                yield self.window(i, j, H, W)

    def value_expr(self, values, terms: int = 12):
        """The formula of one window's value from its cells: max(a, b, …) or (a + b + …)/n;
        above ``terms`` cells, max(the n cells) or (their sum)/n, the cells being shown beside."""
        from ..expr import Add, Call, Frac, Num, Seq, Text
        values = list(values)
        n = len(values)
        if n > terms:
            if self.type == "max":
                return Call("max", (Text(f"the {n} cells"),))
            total = values[0]
            for v in values[1:]:
                total = total + v
            return Frac(Num(total), Num(n))
        nums = tuple(Num(v) for v in values)
        if self.type == "max":
            return Call("max", (Seq(nums),))
        return Frac(Add(nums) if n > 1 else nums[0], Num(n))

    # --- forward and backward on whole arrays ------------------------------------------------

    def _frame(self, H: int, W: int):
        """(Ho, Wo) and the padded frame (Hn, Wn) that every window lies in."""
        wrong = self.misfit(H, W)
        if wrong is not None:   # the specs refuse these; a window must hold an input cell
            raise ValueError(wrong)
        Ho, Wo = self.out_size(H, W)
        (kh, kw), (sh, sw) = self.size, self.stride
        (pt, pb), (pl, pr) = self.padding
        return (Ho, Wo), (max(H + pt + pb, (Ho - 1) * sh + kh),
                          max(W + pl + pr, (Wo - 1) * sw + kw))

    def _pad(self, X, fill):
        """X inside its padded frame, the rest ``fill``."""
        H, W = X.shape[-2:]
        _, (Hn, Wn) = self._frame(H, W)
        (pt, _), (pl, _) = self.padding
        Xp = np.empty(X.shape[:-2] + (Hn, Wn), dtype=X.dtype)
        Xp[...] = fill
        Xp[..., pt:pt + H, pl:pl + W] = X
        return Xp

    def _offsets(self, Ho: int, Wo: int):
        """For each cell (m, n) of the window, in row-major order: its index m·kw + n and the
        slices of the padded frame that it covers in every window at once."""
        (kh, kw), (sh, sw) = self.size, self.stride
        for m in range(kh):
            for n in range(kw):
                yield m * kw + n, (Ellipsis, slice(m, m + sh * (Ho - 1) + 1, sh),
                                   slice(n, n + sw * (Wo - 1) + 1, sw))

    def counts(self, H: int, W: int):
        """(Ho, Wo) int array: the input cells (not padding) in each window."""
        (Ho, Wo), _ = self._frame(H, W)
        mask = self._pad(np.ones((H, W), dtype=np.int64), 0)
        if self.mistake == "padding_counted":
            (pt, pb), (pl, pr) = self.padding
            mask[:H + pt + pb, :W + pl + pr] = 1
        total = np.zeros((Ho, Wo), dtype=np.int64)
        for _, sl in self._offsets(Ho, Wo):
            total += mask[sl]
        return total

    def _max(self, X):
        """The maximum of each window and the index (m·kw + n) of the first cell holding it."""
        X = _as_array(X)
        H, W = X.shape[-2:]
        (Ho, Wo), _ = self._frame(H, W)
        Xp = self._pad(X, _NEG_INF)
        if self.mistake == "zero_padding":
            (pt, pb), (pl, pr) = self.padding
            frame = np.zeros(Xp.shape[-2:], dtype=bool)
            frame[:H + pt + pb, :W + pl + pr] = True
            frame[pt:pt + H, pl:pl + W] = False
            Xp[..., frame] = _zero(X)
        best = idx = None
        for k, sl in self._offsets(Ho, Wo):
            cand = Xp[sl]
            if best is None:
                best, idx = cand.copy(), np.zeros(cand.shape, dtype=np.int64)
                continue
            better = cand > best           # strictly: a tie keeps the earlier cell
            best = np.where(better, cand, best)
            idx = np.where(better, k, idx)
        return best, idx

    def forward(self, X):
        """y[..., i, j]: the max or the mean of window (i, j) of X (..., H, W)."""
        X = _as_array(X)
        if self.type == "max":
            return self._max(X)[0]
        H, W = X.shape[-2:]
        (Ho, Wo), _ = self._frame(H, W)
        Xp = self._pad(X, _zero(X))
        total = None
        for _, sl in self._offsets(Ho, Wo):
            total = Xp[sl].copy() if total is None else total + Xp[sl]
        return _divide(total, self.counts(H, W))

    def argmax(self, X):
        """(..., Ho, Wo) int: for max pooling, the cell of each window that holds its maximum,
        as m·kw + n within the window (the first in row-major order at a tie)."""
        return self._max(X)[1]

    def backward(self, X, dY):
        """∂J/∂X (..., H, W) from ∂J/∂y (..., Ho, Wo): max routes each window's gradient to its
        maximum (first at a tie); avg spreads it equally over the window's input cells. A cell
        in several windows (stride < size) adds up what each gives it."""
        X = _as_array(X)
        dY = _as_array(dY)
        H, W = X.shape[-2:]
        (Ho, Wo), (Hn, Wn) = self._frame(H, W)
        if dY.shape[-2:] != (Ho, Wo) or dY.shape[:-2] != X.shape[:-2]:
            raise ValueError(f"∂J/∂y has shape {dY.shape}, the output is "
                             f"{X.shape[:-2] + (Ho, Wo)}")
        zero = _zero(dY)
        dXp = np.empty(X.shape[:-2] + (Hn, Wn), dtype=dY.dtype)
        dXp[...] = zero
        if self.type == "max" and self.mistake not in ("gradient_copied", "gradient_spread"):
            idx = self.argmax(X)
            for k, sl in self._offsets(Ho, Wo):
                dXp[sl] += np.where(idx == k, dY, zero)
        else:
            # (a student's rule: "gradient_copied" gives every cell the whole ∂J/∂y, max and avg
            # alike; "gradient_spread" spreads a max pool's as an average's)
            share = dY if self.mistake == "gradient_copied" else _divide(dY, self.counts(H, W))
            for _, sl in self._offsets(Ho, Wo):
                dXp[sl] += share
        (pt, _), (pl, _) = self.padding
        return dXp[..., pt:pt + H, pl:pl + W].copy()


def _as_array(X):
    """An exact (object) or float64 array; other numeric arrays become float64."""
    X = np.asarray(X)
    if X.dtype == object or X.dtype == np.float64:
        return X
    return X.astype(np.float64)


def _zero(a):
    return Fraction(0) if a.dtype == object else 0.0


def _divide(total, counts):
    """total / counts, exact (Fractions) when total is."""
    if total.dtype == object:     # Fraction divisors: whole numbers in an object array stay exact
        return total / np.array([Fraction(n) for n in counts.ravel().tolist()],
                                dtype=object).reshape(counts.shape)
    return total / counts
