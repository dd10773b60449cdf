"""A convolution problem: an input (H×W or C×H×W), one or several filters, stride, padding,
dilation, the operation (cross-correlation or convolution), bias, activation and pooling.

The same problem is built from a YAML file (``parse``) or from command-line options
(``from_options``); both go through ``build``, with a ``fail(field, message)`` that says where a
wrong value came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ...errors import ProblemError
from ...sizes import conv_out, effective_kernel, pool_padding_fits, same_padding, window_fits
from ...ops.pool import Pool
from ..common import (Activation, activation_named, choose_exact, float_reason,
                      parse_activation, to_mode)

FIELDS = ["kind", "title", "input", "kernel", "kernels", "stride", "padding", "dilation", "mode",
          "bias", "activation", "pool"]
MODES = ("cross_correlation", "convolution")
POOL_TYPES = ("max", "avg")
MAX_WORK = 2_000_000_000      # multiply-adds of a convolution we agree to compute
MAX_OUTPUT = 10_000_000       # numbers in the output

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]      # ((top, bottom), (left, right))


@dataclass
class ConvProblem:
    """A 2-D convolution layer applied to one input, with everything needed to show it."""

    input: object              # C×H×W array (object of Fractions when exact, else float64)
    kernels: object            # F×C×kh×kw, as given (not flipped)
    input_shape: tuple         # as given: (H, W) or (C, H, W)
    kernel_shape: tuple        # as given: one filter's shape, or (F, C, kh, kw) for `kernels`
    single: bool               # one filter given with `kernel` (output H×W, not F×H×W)
    stride: Pair
    padding: Pads
    dilation: Pair
    mode: str = "cross_correlation"
    padding_rule: str | None = None   # "same" or "valid" when padding was given by name
    bias: object | None = None        # F values
    activation: Activation | None = None
    pool: Pool | None = None
    exact: bool = True
    title: str | None = None
    kind: str = "conv"
    float_reason: str | None = None   # why exact input is computed in float64 (a note), if it is
    where: tuple = (None, None, None, None)   # the problem file (or input file), for errors

    @property
    def channels_given(self) -> bool:
        """The input was given as C×H×W (so patches are shown as C×kh×kw)."""
        return len(self.input_shape) == 3


# --- small values: pairs and paddings, from YAML or from option text ---------------------------

def pair_from_doc(doc, what: str, nonnegative: bool = False) -> Pair:
    """`n` or `[rows, cols]` of whole numbers (> 0, or ≥ 0 with nonnegative)."""
    kw = {"nonnegative": True} if nonnegative else {"positive": True}
    if doc.is_seq:
        items = doc.items()
        if len(items) != 2:
            raise doc.error(f"expected {what} as n or [rows, cols], got a list of {len(items)}")
        return (items[0].integer(what=what, **kw), items[1].integer(what=what, **kw))
    n = doc.integer(what=what, **kw)
    return (n, n)


def padding_from_doc(doc) -> Pads | str:
    """`n`, `[ph, pw]`, `[[top, bottom], [left, right]]`, "same" or "valid"."""
    if doc.is_scalar and not doc.is_null and doc.node.tag.endswith(":str"):
        return doc.text(["same", "valid"], what="padding")
    if doc.is_seq:
        items = doc.items()
        if len(items) != 2:
            raise doc.error("expected padding as n, [rows, cols] or [[top, bottom], "
                            f"[left, right]], got a list of {len(items)}")
        sides = []
        for it in items:
            if it.is_seq:
                two = it.items()
                if len(two) != 2:
                    raise it.error(f"expected [before, after], got a list of {len(two)}")
                sides.append((two[0].integer(nonnegative=True, what="a padding"),
                              two[1].integer(nonnegative=True, what="a padding")))
            else:
                p = it.integer(nonnegative=True, what="a padding")
                sides.append((p, p))
        return (sides[0], sides[1])
    p = doc.integer(nonnegative=True, what="a padding")
    return ((p, p), (p, p))


_SPLIT = re.compile(r"\s*[x×,]\s*|\s+")


def ints_from_text(text: str) -> list[int]:
    """Whole numbers separated by x, ×, commas or spaces; ValueError when malformed."""
    parts = _SPLIT.split(text.strip())
    if parts == [""]:
        raise ValueError("expected a whole number")
    out = []
    for p in parts:     # an empty part is a separator with nothing after it: `1x`, `3x32x32x`
        if not re.fullmatch(r"[+-]?\d+", p, re.ASCII):
            raise ValueError(f"expected whole numbers, got {text!r}")
        out.append(int(p))
    return out


def pair_from_text(text: str, nonnegative: bool = False) -> Pair:
    """`2`, `2x1` or `2,1` (rows, cols) from an option; ValueError when malformed."""
    vals = ints_from_text(text)
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise ValueError(f"expected n or rows,cols, got {text!r}")
    low = 0 if nonnegative else 1
    if any(v < low for v in vals):
        raise ValueError(f"expected whole numbers ≥ {low}, got {text!r}")
    return (vals[0], vals[1])


def padding_from_text(text: str) -> Pads | str:
    """`1`, `1,2` (rows, cols), `0,1,0,1` (top, bottom, left, right), `same` or `valid`."""
    t = text.strip().lower()
    if t in ("same", "valid"):
        return t
    try:
        vals = ints_from_text(text)
    except ValueError:
        vals = [-1]
    if any(v < 0 for v in vals):
        raise ValueError(f"expected n, rows,cols, top,bottom,left,right (whole numbers ≥ 0), "
                         f"same or valid; got {text!r}")
    if len(vals) == 1:
        return ((vals[0], vals[0]), (vals[0], vals[0]))
    if len(vals) == 2:
        return ((vals[0], vals[0]), (vals[1], vals[1]))
    if len(vals) == 4:
        return ((vals[0], vals[1]), (vals[2], vals[3]))
    raise ValueError(f"expected n, rows,cols, top,bottom,left,right, same or valid; got {text!r}")


def resolve_padding(padding, size: Pair, kernel: Pair, stride: Pair, dilation: Pair) -> Pads:
    """Numbers for "same" (output ⌈i/s⌉, the odd extra at the bottom/right) and "valid" (0)."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        return tuple(same_padding(i, k, s, d)
                     for i, k, s, d in zip(size, kernel, stride, dilation))
    return padding


def times(shape) -> str:
    """A shape in words: 3×3."""
    return "×".join(str(n) for n in shape)


# --- the problem ----------------------------------------------------------------------------

Fail = Callable[[str, str], ProblemError]


def build(x, kernels: list, single: bool, *, stride: Pair = (1, 1), padding=((0, 0), (0, 0)),
          dilation: Pair = (1, 1), mode: str = "cross_correlation", bias=None,
          activation: Activation | None = None, pool: Pool | None = None,
          title: str | None = None, fail: Fail, kernel_field: str = "kernel") -> ConvProblem:
    """Check shapes and sizes and put a ConvProblem together; ``fail(field, msg)`` makes errors.

    ``kernel_field`` names the kernel(s) in errors (``kernel`` or ``kernels``); a filter's own
    field is ``{kernel_field}[i]`` when there are several."""
    import numpy as np
    if x.ndim not in (2, 3):
        raise fail("input", f"expected an H×W matrix or C×H×W channels, got {x.ndim}-D"
                            + (f" of shape {times(x.shape)}" if x.ndim else ""))
    input_shape = tuple(x.shape)
    X = x if x.ndim == 3 else x.reshape((1,) + x.shape)
    C, H, W = X.shape

    def kfield(i):
        return kernel_field if single else f"{kernel_field}[{i}]"

    filters = []
    for i, k in enumerate(kernels):
        if k.ndim not in (2, 3):
            raise fail(kfield(i), f"expected a kh×kw matrix or C×kh×kw channels, got "
                                  f"{k.ndim}-D of shape {times(k.shape)}")
        K = k if k.ndim == 3 else k.reshape((1,) + k.shape)
        if K.shape[0] != C:
            raise fail(kfield(i), f"expected {C} channel{'s' if C != 1 else ''} (the input is "
                                  f"{times(input_shape)}), got a kernel of shape {times(k.shape)}"
                                  + ("; give one kh×kw matrix per channel, separated by a blank "
                                     "line in a text file" if C > 1 else ""))
        if filters and K.shape != filters[0].shape:
            raise fail(kfield(i), f"filter {i + 1} is {times(k.shape)}, filter 1 is "
                                  f"{times(kernels[0].shape)}; all filters of a layer have one "
                                  f"size")
        filters.append(K)
    if not filters:
        raise fail(kernel_field, "expected at least one filter")
    F = len(filters)
    kh, kw = filters[0].shape[1:]
    kernel_shape = tuple(kernels[0].shape) if single else (F, C, kh, kw)

    pads = resolve_padding(padding, (H, W), (kh, kw), stride, dilation)
    rule = padding if isinstance(padding, str) else None
    (pt, pb), (pl, pr) = pads
    Hp, Wp = H + pt + pb, W + pl + pr
    if not all(window_fits(i, p, k, d) for i, p, k, d in zip((H, W), pads, (kh, kw), dilation)):
        eh, ew = effective_kernel(kh, dilation[0]), effective_kernel(kw, dilation[1])
        dil = f", {eh}×{ew} with dilation {dilation[0]},{dilation[1]}" \
            if dilation != (1, 1) else ""
        pad = f"{Hp}×{Wp} after padding" if (pt, pb, pl, pr) != (0, 0, 0, 0) else f"{H}×{W}"
        raise fail(kfield(0), f"the kernel ({kh}×{kw}{dil}) is larger than the input ({pad}); "
                              f"no window fits")
    Ho, Wo = tuple(conv_out(i, p, k, s, d)
                   for i, p, k, s, d in zip((H, W), pads, (kh, kw), stride, dilation))
    if F * Ho * Wo > MAX_OUTPUT or F * Ho * Wo * C * kh * kw > MAX_WORK:
        raise fail(kfield(0), f"too large: {F}×{Ho}×{Wo} outputs of {C * kh * kw} products each")
    if C * Hp * Wp > MAX_OUTPUT:
        raise fail("padding", f"too large: the padded input would be {C}×{Hp}×{Wp}, more than "
                              f"{MAX_OUTPUT:,} numbers")

    b = None
    if bias is not None:
        b = bias.reshape(-1)
        if b.shape[0] == 1 and F > 1:
            b = np.repeat(b, F)
        if b.shape[0] != F:
            raise fail("bias", f"expected {F} value{'s' if F != 1 else ''} (one per filter), "
                               f"got {b.shape[0]}")

    if pool is not None:
        for n, size, pads_ in zip((Ho, Wo), pool.size, pool.padding):
            if not pool_padding_fits(pads_, size):
                raise fail("pool.padding", f"expected at most half the pool size ({size // 2}) "
                                           f"on each side, got {max(pads_)}")
            if not window_fits(n, pads_, size):
                raise fail("pool.size", f"the pool window ({times(pool.size)}) is larger than "
                                        f"the convolution's output ({Ho}×{Wo})")

    arrays = [X] + filters + ([b] if b is not None else [])
    work = F * Ho * Wo * C * kh * kw + C * Hp * Wp     # the products, and the padded input
    exact = choose_exact(arrays, work)
    reason = float_reason(arrays, work)
    Xm = to_mode(X, exact)
    Km = np.stack([to_mode(K, exact) for K in filters])
    bm = to_mode(b, exact) if b is not None else None
    return ConvProblem(Xm, Km, input_shape, kernel_shape, single, stride, pads, dilation, mode,
                       rule, bm, activation, pool, exact, title, float_reason=reason)


def parse_pool(doc) -> Pool:
    """`{type: max, size: 2, stride: 2, padding: 0}`; stride defaults to size."""
    doc.keys(["type", "size", "stride", "padding"], required=["type", "size"])
    return read_pool(doc)


def read_pool(doc, padding_error: str = "expected numbers for the pool's padding",
              ceil_mode: bool = False) -> Pool:
    """A pooling's settings from the mapping that holds them (its keys checked by the caller):
    type, size, stride (the size when absent), padding in numbers, and ``ceil_mode`` where the
    caller allows it. conv's `pool:`, backprop's pool layers and `kind: pool` all read it here."""
    ptype = doc["type"].text(POOL_TYPES, what="pool type")
    size = pair_from_doc(doc["size"], "a pool size")
    stride = pair_from_doc(doc["stride"], "a stride") if doc.get("stride") is not None else size
    padding = ((0, 0), (0, 0))
    if doc.get("padding") is not None:
        padding = padding_from_doc(doc["padding"])
        if isinstance(padding, str):
            raise doc["padding"].error(padding_error)
    ceil = doc["ceil_mode"].boolean() if ceil_mode and doc.get("ceil_mode") is not None else False
    return Pool(ptype, size, stride, padding, ceil)


def parse(doc) -> ConvProblem:
    """Build a ConvProblem from a problem file, checking every field and shape."""
    doc.keys(FIELDS, required=["input"])
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    if doc.get("kernel") is None and doc.get("kernels") is None:
        raise doc.error("missing field `kernel` (one filter) or `kernels` (a list of filters)")
    if doc.get("kernel") is not None and doc.get("kernels") is not None:
        raise doc["kernels"].error("give either `kernel` (one filter) or `kernels`, not both")
    x = doc["input"].array(ndims=(2, 3), what="an input matrix (H×W) or channels (C×H×W)")
    if doc.get("kernel") is not None:
        single, field = True, "kernel"
        kernels = [doc["kernel"].array(ndims=(2, 3), what="a kernel (kh×kw or C×kh×kw)")]
    else:
        single, field = False, "kernels"
        kd = doc["kernels"]
        if not kd.is_seq:
            arr = kd.array(ndims=(4,), what="a list of kernels, or an F×C×kh×kw .npy file")
            kernels = list(arr)
        else:
            kernels = [it.array(ndims=(2, 3), what="a kernel (kh×kw or C×kh×kw)")
                       for it in kd.items()]
            if not kernels:
                raise kd.error("expected at least one kernel")
    stride = pair_from_doc(doc["stride"], "a stride") if doc.get("stride") is not None else (1, 1)
    dilation = pair_from_doc(doc["dilation"], "a dilation") \
        if doc.get("dilation") is not None else (1, 1)
    padding = padding_from_doc(doc["padding"]) if doc.get("padding") is not None \
        else ((0, 0), (0, 0))
    mode = doc["mode"].text(MODES, what="mode") if doc.get("mode") is not None \
        else "cross_correlation"
    bias = doc["bias"].array(ndims=(0, 1), what="a bias (one per filter)") \
        if doc.get("bias") is not None else None
    activation = parse_activation(doc["activation"], allow_softmax=False) \
        if doc.get("activation") is not None else None
    pool = parse_pool(doc["pool"]) if doc.get("pool") is not None else None

    def fail(name: str, message: str) -> ProblemError:
        node = doc
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", name):
            if part.startswith("["):
                items = node.items() if node.is_seq else None
                i = int(part[1:-1])
                if items is not None and i < len(items):
                    node = items[i]
            else:
                child = node.get(part) if node.is_map else None
                if child is None:
                    break
                node = child
        return node.error(message, field=name if node is doc else None)

    problem = build(x, kernels, single, stride=stride, padding=padding, dilation=dilation,
                    mode=mode, bias=bias, activation=activation, pool=pool, title=title,
                    fail=fail, kernel_field=field)
    problem.where = (doc.path, doc.line, doc.col, None)    # a result beyond floats names the file
    return problem


def option_fail(names: dict | None = None, files: dict | None = None) -> Fail:
    """Errors in command-line options: `<options>: --kernel: ...`, or the file a value came from."""
    names = names or {}
    files = files or {}

    def fail(name: str, message: str) -> ProblemError:
        base = name.split("[")[0].split(".")[0]
        label = names.get(name) or names.get(base) or f"--{base}"
        path = files.get(name) or files.get(base)
        if path is not None:
            return ProblemError(message, path, field=label)
        return ProblemError(message, "<options>", field=label)
    return fail


def bias_from_values(values) -> object:
    """A bias array (exact) from option values."""
    import numpy as np
    return np.array([Fraction(v) for v in values], dtype=object)


# option -> how errors name it (a field not listed here is named --field)
OPTION_NAMES = {"kernels": "--kernel", "kernel": "--kernel", "pool.size": "--pool-size",
                "pool.padding": "--pool-size"}


def from_options(input_path: str, kernel_paths, *, stride: Pair | None = None, padding=None,
                 dilation: Pair | None = None, mode: str | None = None, bias=(),
                 activation: str | None = None, pool: str | None = None,
                 pool_size: Pair | None = None, pool_stride: Pair | None = None) -> ConvProblem:
    """A ConvProblem from command-line options: matrix files for the input and each kernel,
    parsed values (or None: the default) for the rest. Errors name the option, or the file a
    wrong matrix came from."""
    from ...load.arrays import read_matrix_file
    x = read_matrix_file(input_path)
    ks = [read_matrix_file(k) for k in kernel_paths]
    single = len(ks) == 1
    files = {"input": input_path, "kernel": kernel_paths[0]}
    files.update({f"kernels[{i}]": k for i, k in enumerate(kernel_paths)})
    pool_spec = None
    if pool:
        size = pool_size or (2, 2)
        pool_spec = Pool(pool, size, pool_stride or size)
    problem = build(x, ks, single, stride=stride or (1, 1),
                    padding=padding if padding is not None else ((0, 0), (0, 0)),
                    dilation=dilation or (1, 1), mode=mode or "cross_correlation",
                    bias=bias_from_values(bias) if bias else None,
                    activation=activation_named(activation) if activation else None,
                    pool=pool_spec, fail=option_fail(OPTION_NAMES, files),
                    kernel_field="kernel" if single else "kernels")
    problem.where = (input_path, None, None, "--input")   # the numbers came from this file
    return problem
