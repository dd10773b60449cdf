"""A 2-D convolution layer on batches of C×H×W maps: forward beside backward, and its windows.

Both rules are one vectorised pass over the kernel's cells (each a strided slice of the whole
padded batch), exact or float64 alike:
  forward   Z[n, f, i, j] = Σ_c,u,v Xp[n, c, i·s + u·d, j·s + v·d] · K̃[f, c, u, v] + b[f]
  backward  ∂J/∂K̃[f, c, u, v] = Σ_n,i,j ∂J/∂Z[n, f, i, j] · Xp[n, c, i·s + u·d, j·s + v·d]
            ∂J/∂b[f] = Σ_n,i,j ∂J/∂Z[n, f, i, j]
            ∂J/∂Xp[n, c, i·s + u·d, j·s + v·d] += ∂J/∂Z[n, f, i, j] · K̃[f, c, u, v]
            (the full convolution of ∂J/∂Z with the flipped kernel), then the padding cut off.
K̃ is the kernel as slid over the input: as given (cross-correlation) or rotated 180°
(convolution); the gradient of the kernel as written is ∂J/∂K̃ rotated back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..arrays import as_float, exact, zeros_like_mode
from ..sizes import conv_out
from .engine import Op

Pair = tuple


def pad_batch(X, pads):
    """N×C×H×W → N×C×(H+top+bottom)×(W+left+right), zeros around (exact zeros when exact)."""
    (pt, pb), (pl, pr) = pads
    N, C, H, W = X.shape
    if (pt, pb, pl, pr) == (0, 0, 0, 0):
        return X
    Xp = zeros_like_mode(X, (N, C, H + pt + pb, W + pl + pr))
    Xp[:, :, pt:pt + H, pl:pl + W] = X
    return Xp


def slid_kernels(K, mode: str):
    """The weights slid over the input: as given, or rotated 180° for a convolution."""
    return K[..., ::-1, ::-1] if mode == "convolution" else K


def _cells(Xp, u, v, out, stride, dilation):
    """Xp[:, :, i·s + u·d, j·s + v·d] for every output cell (i, j): N×C×Ho×Wo."""
    (Ho, Wo), (sh, sw), (dh, dw) = out, stride, dilation
    r0, c0 = u * dh, v * dw
    return Xp[:, :, r0:r0 + sh * (Ho - 1) + 1:sh, c0:c0 + sw * (Wo - 1) + 1:sw]


@dataclass(frozen=True)
class Conv(Op):
    """A convolution layer: F filters of C×kh×kw (parameters K and b), stride, padding, dilation."""

    stride: Pair = (1, 1)
    padding: tuple = ((0, 0), (0, 0))      # ((top, bottom), (left, right)), resolved
    dilation: Pair = (1, 1)
    mode: str = "cross_correlation"
    # a student's rule for `check` (never set by a problem): "dx_kernel_not_flipped" computes
    # ∂J/∂x with the kernel slid as it is, not rotated (a full cross-correlation of ∂J/∂Z)
    mistake: str | None = None

    kind = "conv"
    params = ("K", "b")

    def out_hw(self, hw, kernel):
        return tuple(conv_out(i, p, k, s, d) for i, p, k, s, d in
                     zip(hw, self.padding, kernel, self.stride, self.dilation))

    def forward(self, x, p):
        x, K, b = _common_mode(x, p["K"], p.get("b"))
        F, C, kh, kw = K.shape
        Xp = pad_batch(x, self.padding)
        Kf = slid_kernels(K, self.mode)
        out = self.out_hw(x.shape[2:], (kh, kw))
        Z = zeros_like_mode(x, (x.shape[0], F) + out)
        for u in range(kh):
            for v in range(kw):
                cells = _cells(Xp, u, v, out, self.stride, self.dilation)
                # Σ_c cells[n, c] · K̃[f, c, u, v] for every f: one product over the channels
                Z += np.einsum("ncij,fc->nfij", cells, Kf[:, :, u, v]) if cells.dtype != object \
                    else np.moveaxis(np.tensordot(cells, Kf[:, :, u, v], axes=([1], [1])), 3, 1)
        if b is not None:
            Z = Z + b[None, :, None, None]
        return Z, Xp

    def backward(self, g, x, y, cache, p):
        Xp = cache
        g, K, _ = _common_mode(g, p["K"], None)
        if exact(Xp) != exact(g):
            Xp, g = as_float(Xp), as_float(g)
            K = as_float(K)
        F, C, kh, kw = K.shape
        Kf = slid_kernels(K, self.mode)
        out = g.shape[2:]
        (sh, sw), (dh, dw) = self.stride, self.dilation
        (Ho, Wo) = out
        Kx = Kf[..., ::-1, ::-1] if self.mistake == "dx_kernel_not_flipped" else Kf
        dKf = zeros_like_mode(g, K.shape)
        dXp = zeros_like_mode(g, Xp.shape)
        for u in range(kh):
            for v in range(kw):
                cells = _cells(Xp, u, v, out, self.stride, self.dilation)
                dKf[:, :, u, v] = np.tensordot(g, cells, axes=([0, 2, 3], [0, 2, 3]))
                r0, c0 = u * dh, v * dw
                dXp[:, :, r0:r0 + sh * (Ho - 1) + 1:sh, c0:c0 + sw * (Wo - 1) + 1:sw] += \
                    np.moveaxis(np.tensordot(g, Kx[:, :, u, v], axes=([1], [0])), 3, 1)
        (pt, pb), (pl, pr) = self.padding
        H, W = x.shape[2:]
        dX = dXp[:, :, pt:pt + H, pl:pl + W]
        grads = {"K": slid_kernels(dKf, self.mode),
                 "b": g.sum(axis=(0, 2, 3)) if p.get("b") is not None else None}
        return dX, grads

    def output_shape(self, shape, filters: int | None = None, kernel=None):
        return shape

    # --- what a student gets wrong in it ----------------------------------------------------
    mistakes = {
        "kernel_flipped": lambda op: replace(op, mode="convolution")
        if op.mode == "cross_correlation" else None,
        "kernel_not_flipped": lambda op: replace(op, mode="cross_correlation")
        if op.mode == "convolution" else None,
        "padding_forgotten": lambda op: replace(op, padding=((0, 0), (0, 0)))
        if op.padding != ((0, 0), (0, 0)) else None,
        "dx_kernel_not_flipped": lambda op: replace(op, mistake="dx_kernel_not_flipped"),
    }


def _common_mode(x, K, b):
    """x, K and b all exact, or all float64 (a float operation upstream, such as tanh, makes the
    rest of the network float)."""
    if exact(x) and exact(K) and (b is None or exact(b)):
        return x, K, b
    return as_float(x), as_float(K), None if b is None else as_float(b)


def window_cells(i: int, j: int, kernel: tuple, stride: tuple, dilation: tuple):
    """The padded-input cells (row, col) that window (i, j) covers, 0-based."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return [(i * sh + m * dh, j * sw + n * dw) for m in range(kh) for n in range(kw)]


def patch(Xp, i, j, kernel, stride, dilation):
    """The C×kh×kw cells of one padded input (C×H×W) under window (i, j)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return Xp[:, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]


def window_sum(xs, ws, b=None):
    """x₁·w₁ + x₂·w₂ + … (+ b): one window's sum of products, with its numbers (the patch's
    cells and the slid kernel's weights, in the same order)."""
    from ..expr import Add, Num, mul
    tail = (Num(b),) if b is not None else ()
    return Add(tuple(mul(Num(x), Num(w)) for x, w in zip(xs, ws)) + tail)
