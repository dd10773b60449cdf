"""A shape problem: an input shape and a stack of layers, for output sizes and parameter counts.

From a YAML file (``parse``) or from command-line options (``build_single``). Shapes are
channels-first: C×H×W, or [N] after flatten and dense.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ProblemError
from ...sizes import conv_out, effective_kernel, pool_out, pool_padding_fits, transposed_out, \
    window_fits
from ..conv.spec import Pads, Pair, ints_from_text, padding_from_doc, pair_from_doc, resolve_padding

FIELDS = ["kind", "title", "input", "layers", "compare_dense"]
STRUCTURAL_LAYERS = ("conv", "conv_transpose", "pool", "flatten", "dense")


def layer_types() -> tuple:
    """Every layer name: the structural ones, then each activation of the registry (and its
    other names), which keeps the shape."""
    from ...ops.registry import activation_names
    return STRUCTURAL_LAYERS + tuple(activation_names(with_aliases=True))


def _canonical(name: str) -> str:
    from ...ops.registry import aliases
    return aliases().get(name, name)
LAYER_KEYS = {
    "conv": ["filters", "kernel", "stride", "padding", "dilation", "bias"],
    "conv_transpose": ["filters", "kernel", "stride", "padding", "output_padding", "dilation",
                       "bias"],
    "pool": ["type", "size", "stride", "padding", "ceil_mode"],
    "dense": ["units", "bias"],
    "flatten": [],
}
MAX_DIM = 10 ** 9


@dataclass
class Layer:
    """One layer of a stack; only the fields of its type are used."""

    type: str                         # conv, conv_transpose, pool, flatten, dense, or an activation
    filters: int = 1
    kernel: Pair = (1, 1)
    stride: Pair = (1, 1)
    padding: Pads | str = ((0, 0), (0, 0))
    dilation: Pair = (1, 1)
    output_padding: Pair = (0, 0)
    bias: bool = True
    pool_type: str = "max"
    ceil_mode: bool = False
    units: int = 0
    where: tuple = (None, None, None, None)   # (path, line, col, field) for errors

    def error(self, message: str, field: str | None = None) -> ProblemError:
        """A ProblemError at this layer (raise it)."""
        path, line, col, fld = self.where
        return ProblemError(message, path, line, col, field or fld)


@dataclass
class ShapeProblem:
    """An input shape and its layers."""

    input_shape: tuple
    layers: list
    compare_dense: bool = False
    title: str | None = None
    input_where: tuple = (None, None, None, "input")
    kind: str = "shape"


def shape_from_text(text: str) -> tuple:
    """`3x32x32`, `32x32` (C = 1) or `3,32,32`; ValueError when malformed."""
    try:
        dims = tuple(ints_from_text(text))
    except ValueError:
        raise ValueError(f"expected a shape such as 1x4x4, got {text!r}") from None
    if len(dims) not in (1, 2, 3) or any(d < 1 for d in dims):
        raise ValueError(f"expected C×H×W (or H×W, or N) of whole numbers ≥ 1, got {text!r}")
    if max(dims) > MAX_DIM:
        raise ValueError(f"expected sizes up to {MAX_DIM:,}, got {text!r}")
    return normal_shape(dims)


def normal_shape(dims: tuple) -> tuple:
    """H×W means 1×H×W."""
    return (1,) + tuple(dims) if len(dims) == 2 else tuple(dims)


def _where(doc) -> tuple:
    return (doc.path, doc.line, doc.col, doc.field)


def _layer(item) -> Layer:
    if item.is_scalar:
        name = item.text(layer_types(), what="layer")
        if name in LAYER_KEYS and LAYER_KEYS[name]:
            raise item.error(f"a {name} layer needs its settings: `{name}: {{...}}`")
        return Layer(_canonical(name), where=_where(item))
    if not item.is_map or len(item.field_names()) != 1:
        raise item.error("expected a layer: a name (relu, flatten) or one `type: {settings}`, "
                         "e.g. `conv: {filters: 16, kernel: 3}`")
    item.keys(list(layer_types()))
    name = item.field_names()[0]
    body = item.get(name)
    layer = Layer(_canonical(name), where=_where(item))
    if name not in LAYER_KEYS:
        if body is not None:
            raise body.error(f"{name} takes no settings here")
        return layer
    if body is None:
        if LAYER_KEYS[name]:
            raise item.error(f"a {name} layer needs its settings")
        return layer
    required = {"conv": ["filters", "kernel"], "conv_transpose": ["filters", "kernel"],
                "pool": ["size"], "dense": ["units"], "flatten": []}[name]
    body.keys(LAYER_KEYS[name], required=required)
    layer.where = _where(body)
    g = body.get
    if name in ("conv", "conv_transpose"):
        layer.filters = body["filters"].integer(positive=True, what="a number of filters")
        layer.kernel = pair_from_doc(body["kernel"], "a kernel size")
        if g("stride") is not None:
            layer.stride = pair_from_doc(body["stride"], "a stride")
        if g("dilation") is not None:
            layer.dilation = pair_from_doc(body["dilation"], "a dilation")
        if g("padding") is not None:
            layer.padding = padding_from_doc(body["padding"])
            if name == "conv_transpose" and isinstance(layer.padding, str):
                raise body["padding"].error("expected numbers for a transposed convolution's "
                                            "padding")
        if g("output_padding") is not None:
            layer.output_padding = pair_from_doc(body["output_padding"], "an output padding",
                                                 nonnegative=True)
        if g("bias") is not None:
            layer.bias = body["bias"].boolean()
    elif name == "pool":
        layer.pool_type = body["type"].text(["max", "avg"], what="pool type") \
            if g("type") is not None else "max"
        layer.kernel = pair_from_doc(body["size"], "a pool size")
        layer.stride = pair_from_doc(body["stride"], "a stride") if g("stride") is not None \
            else layer.kernel
        if g("padding") is not None:
            layer.padding = padding_from_doc(body["padding"])
            if isinstance(layer.padding, str):
                raise body["padding"].error("expected numbers for a pool's padding")
        if g("ceil_mode") is not None:
            layer.ceil_mode = body["ceil_mode"].boolean()
    elif name == "dense":
        layer.units = body["units"].integer(positive=True, what="a number of units")
        if g("bias") is not None:
            layer.bias = body["bias"].boolean()
    return layer


def parse(doc) -> ShapeProblem:
    """Build a ShapeProblem from a problem file; sizes that do not fit are errors here."""
    doc.keys(FIELDS, required=["input", "layers"])
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    ind = doc["input"]
    if ind.is_seq:
        dims = tuple(it.integer(positive=True, what="a size") for it in ind.items())
        if len(dims) not in (1, 2, 3):
            raise ind.error(f"expected C×H×W, H×W or N, got {len(dims)} numbers")
        input_shape = normal_shape(dims)
    else:
        try:
            input_shape = shape_from_text(ind.text(what="a shape"))
        except ValueError as e:
            raise ind.error(str(e)) from None
    if any(d > MAX_DIM for d in input_shape):
        raise ind.error(f"expected sizes up to {MAX_DIM:,}, got {max(input_shape):,}")
    layers = [_layer(it) for it in doc["layers"].items()]
    if not layers:
        raise doc["layers"].error("expected at least one layer")
    compare = doc["compare_dense"].boolean() if doc.get("compare_dense") is not None else False
    problem = ShapeProblem(input_shape, layers, compare, title, _where(ind))
    layer_shapes(problem)     # refuse a stack that does not fit, naming the layer
    return problem


def build_single(input_shape: tuple, *, kernel: Pair | None = None, filters: int = 1,
                 stride: Pair | None = None, padding=((0, 0), (0, 0)), dilation: Pair = (1, 1),
                 transposed: bool = False, output_padding: Pair = (0, 0),
                 pool: str | None = None, size: Pair | None = None,
                 ceil_mode: bool = False) -> ShapeProblem:
    """One layer (or a convolution and its pooling) from command-line options."""
    layers = []
    if kernel is not None:
        layers.append(Layer("conv_transpose" if transposed else "conv", filters=filters,
                            kernel=kernel, stride=stride or (1, 1), padding=padding,
                            dilation=dilation, output_padding=output_padding,
                            where=("<options>", None, None, "--kernel")))
    if pool is not None:
        size = size or (2, 2)
        alone = kernel is None
        layers.append(Layer("pool", pool_type=pool, kernel=size,
                            stride=(stride or size) if alone else size,
                            padding=padding if alone else ((0, 0), (0, 0)),
                            ceil_mode=ceil_mode, where=("<options>", None, None, "--size")))
    problem = ShapeProblem(tuple(input_shape), layers, input_where=("<options>", None, None,
                                                                     "--input"))
    layer_shapes(problem)
    return problem


@dataclass(frozen=True)
class LayerShape:
    """A layer's input and output shapes, and its padding in numbers."""

    in_shape: tuple
    out_shape: tuple
    pads: Pads = ((0, 0), (0, 0))


def _fmt_shape(shape) -> str:
    return " × ".join(str(n) for n in shape)


def layer_shapes(problem: ShapeProblem) -> list[LayerShape]:
    """Every layer's input and output shape; a layer that does not fit is a ProblemError."""
    shape = tuple(problem.input_shape)
    out = []
    flattened = False    # a `flatten` layer came before (else a flat shape is the input's own)
    for n, layer in enumerate(problem.layers, start=1):
        t = layer.type
        in_shape = shape
        pads = ((0, 0), (0, 0))
        if t in ("conv", "conv_transpose", "pool"):
            if len(shape) != 3:
                why = "(after flatten); put it before `flatten`" if flattened else \
                    "(flat from the start); give the input as C×H×W"
                raise layer.error(f"a {t} layer needs a C×H×W input, but its input is "
                                  f"[{_fmt_shape(shape)}] {why}")
            C, H, W = shape
            dil = layer.dilation if t != "pool" else (1, 1)
            pads = resolve_padding(layer.padding, (H, W), layer.kernel, layer.stride, dil)
            axes = list(zip((H, W), pads, layer.kernel, layer.stride, dil))
            if t == "conv":
                for i, p, k, _s, d in axes:
                    if not window_fits(i, p, k, d):
                        raise layer.error(
                            f"the kernel ({layer.kernel[0]}×{layer.kernel[1]}"
                            + (f", {effective_kernel(k, d)} wide with dilation {d}" if d > 1
                               else "")
                            + f") is larger than its input ({H}×{W}"
                            + (f", {H + sum(pads[0])}×{W + sum(pads[1])} after padding"
                               if pads != ((0, 0), (0, 0)) else "")
                            + f") in layer {n}")
                shape = (layer.filters,) + tuple(conv_out(*a) for a in axes)
            elif t == "conv_transpose":
                for axis in range(2):
                    if layer.output_padding[axis] >= max(layer.stride[axis], dil[axis]):
                        raise layer.error(f"output_padding must be smaller than the stride or "
                                          f"the dilation, got {layer.output_padding[axis]} in "
                                          f"layer {n}")
                size = tuple(transposed_out(*a, op) for a, op in zip(axes, layer.output_padding))
                if min(size) < 1:
                    raise layer.error(f"the padding leaves no output ({size[0]}×{size[1]}) in "
                                      f"layer {n}")
                shape = (layer.filters,) + size
            else:
                for i, p, k, _s, _d in axes:
                    if not pool_padding_fits(p, k):
                        raise layer.error(f"a pool's padding must be at most half its size "
                                          f"({k // 2}), got {max(p)}")
                    if not window_fits(i, p, k):
                        raise layer.error(f"the pool window ({layer.kernel[0]}×"
                                          f"{layer.kernel[1]}) is larger than its input "
                                          f"({H}×{W}) in layer {n}")
                shape = (C,) + tuple(pool_out(i, p, k, s, layer.ceil_mode)
                                     for i, p, k, s, _d in axes)
        elif t == "flatten":
            size = 1
            for d in shape:
                size *= d
            shape = (size,)
            flattened = True
        elif t == "dense":
            if len(shape) != 1:
                raise layer.error(f"a dense layer needs a flat input, but its input is "
                                  f"{_fmt_shape(shape)}; put `- flatten` before it")
            shape = (layer.units,)
        # activations keep the shape
        out.append(LayerShape(in_shape, shape, pads))
    return out
