"""A shape problem: an input shape and a stack of layers, for output sizes and parameter counts.

From a YAML file (``parse``) or from command-line options (``build_single``). Shapes are
channels-first: C×H×W, or [N] after flatten and dense. A stack may hold residual blocks
(``Residual``: layers(x) + shortcut(x)); ``repeat: n`` beside a layer or block is expanded here,
so the solver sees every copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import ProblemError
from ...sizes import conv_out, effective_kernel, pool_out, pool_padding_fits, transposed_out, \
    window_fits
from ..conv.spec import Pads, Pair, ints_from_text, padding_from_doc, pair_from_doc, resolve_padding

FIELDS = ["kind", "title", "input", "layers", "compare_dense"]
STRUCTURAL_LAYERS = ("conv", "conv_transpose", "pool", "global_avg_pool", "flatten", "dense",
                     "batchnorm", "dropout")
BLOCK_TYPES = ("residual",)


def activation_layers() -> tuple:
    """Each activation of the registry (and its other names): they keep the shape."""
    from ...ops.registry import activation_names
    return tuple(activation_names(with_aliases=True))


def layer_types() -> tuple:
    """Every layer name: the structural ones, then the activations."""
    return STRUCTURAL_LAYERS + activation_layers()


def _canonical(name: str) -> str:
    from ...ops.registry import aliases
    return aliases().get(name, name)


LAYER_KEYS = {
    "conv": ["filters", "kernel", "stride", "padding", "dilation", "groups", "bias"],
    "conv_transpose": ["filters", "kernel", "stride", "padding", "output_padding", "dilation",
                       "bias"],
    "pool": ["type", "size", "stride", "padding", "ceil_mode"],
    "dense": ["units", "bias"],
    "dropout": ["p"],
    "flatten": [],
    "global_avg_pool": [],
    "batchnorm": [],
}
REQUIRED_KEYS = {"conv": ["filters", "kernel"], "conv_transpose": ["filters", "kernel"],
                 "pool": ["size"], "dense": ["units"]}
RESIDUAL_KEYS = ["layers", "shortcut", "activation"]
MAX_DIM = 10 ** 9
MAX_LAYERS = 10_000      # after `repeat`: a file of a few lines cannot ask for millions
MAX_REPEAT = 1000


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
    groups: int = 1
    p: object = None                  # dropout's probability, when given
    per_channel: int = 2              # batch norm: γ and β (`check` tries 4: buffers counted)
    where: tuple = (None, None, None, None)   # (path, line, col, field) for errors

    def error(self, message: str, field: str | None = None) -> ProblemError:
        """A ProblemError at this layer (raise it)."""
        path, line, col, fld = self.where
        return ProblemError(message, path, line, col, field or fld)


@dataclass
class Residual:
    """A residual block: layers(x) + shortcut(x), the identity when ``shortcut`` is None; an
    optional activation on the sum (ResNet's ReLU after the addition)."""

    layers: list
    shortcut: list | None = None
    activation: Layer | None = None
    where: tuple = (None, None, None, None)
    type: str = "residual"

    def error(self, message: str, field: str | None = None) -> ProblemError:
        """A ProblemError at this block (raise it)."""
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
    rf_rule: str = "jump"             # r ← r + (k − 1)·d·j; `check` tries "no_jump"
    strict: bool = True               # False: a block whose two paths differ is still solved
    # (as the main path's shape), for `check`'s variants: padding forgotten inside a block
    where: tuple = (None, None, None, None)   # the problem file's top, for errors

    def where_of(self, path: str) -> tuple | None:
        """The position in the file of the layer a JSON path such as ``layers[3].macs`` or
        ``layers[2].layers[1].parameters`` (inside a block) belongs to; None for a total."""
        found, items = None, self.layers
        for key, i in re.findall(r"(layers|shortcut)\[(\d+)\]", path):
            i = int(i)
            if found is not None:
                items = getattr(found, key, None) or []
                if key == "layers" and i == len(items) and found.activation is not None:
                    items = items + [found.activation]       # a block's activation comes last
            if i >= len(items):
                break
            found = items[i]
        if found is None or found.where[0] is None:
            return None
        return found.where


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


def looks_channels_last(shape: tuple) -> bool:
    """28×28×1 or 32×32×3: an image written H×W×C, which channels-first reads as 28 channels of
    28×1."""
    return len(shape) == 3 and shape[2] in (1, 3, 4) and shape[0] >= 8 and shape[1] >= 8


def channels_first_hint(shape: tuple) -> str:
    """What to write for an image given H×W×C."""
    H, W, C = shape
    return f"shapes are channels-first (C×H×W): for a {H}×{W} image with {C} channel" \
        f"{'s' if C != 1 else ''} write {C}x{H}x{W}"


def _where(doc) -> tuple:
    return (doc.path, doc.line, doc.col, doc.field)


def _scalar_layer(item) -> Layer:
    name = item.text(layer_types() + BLOCK_TYPES, what="layer")
    if name in REQUIRED_KEYS or name in BLOCK_TYPES:
        raise item.error(f"a {name} layer needs its settings: `{name}: {{...}}`")
    return Layer(_canonical(name), where=_where(item))


def _layer_body(name: str, body, layer: Layer) -> Layer:
    """The settings of a `name: {...}` layer."""
    body.keys(LAYER_KEYS[name], required=REQUIRED_KEYS.get(name, []))
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
        if g("groups") is not None:
            layer.groups = body["groups"].integer(positive=True, what="a number of groups")
            if layer.filters % layer.groups:
                raise body["groups"].error(f"{layer.filters} filters cannot be split into "
                                           f"{layer.groups} groups: the filters must be a "
                                           "multiple of groups")
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
    elif name == "dropout" and g("p") is not None:
        layer.p = body["p"].number(nonnegative=True, what="a dropout probability")
        if layer.p >= 1:
            raise body["p"].error(f"expected a dropout probability below 1, got "
                                  f"{body['p'].node.value}")
    return layer


def _residual(item, body) -> Residual:
    if not body.is_map:
        raise body.error("expected a residual block: `residual: {layers: [...], shortcut: "
                         "[...]}` (no shortcut: the identity)")
    body.keys(RESIDUAL_KEYS, required=["layers"])
    layers = _layer_list(body["layers"])
    shortcut = _layer_list(body["shortcut"]) if body.get("shortcut") is not None else None
    activation = None
    if body.get("activation") is not None:
        a = body["activation"]
        name = a.text(activation_layers(), what="activation")
        activation = Layer(_canonical(name), where=_where(a))
    return Residual(layers, shortcut, activation, where=_where(item))


def _item(item) -> list:
    """One list item: a layer or a block, repeated when `repeat: n` is beside it."""
    if item.is_scalar:
        return [_scalar_layer(item)]
    names = item.field_names() if item.is_map else []
    main = [n for n in names if n != "repeat"]
    if not item.is_map or len(main) != 1:
        raise item.error("expected a layer: a name (relu, flatten) or one `type: {settings}`, "
                         "e.g. `conv: {filters: 16, kernel: 3}`")
    item.keys(layer_types() + BLOCK_TYPES + ("repeat",))
    name = main[0]
    body = item.get(name)
    if name == "residual":
        if body is None:
            raise item.error("a residual block needs its `layers`")
        one = _residual(item, body)
    else:
        layer = Layer(_canonical(name), where=_where(item))
        if not LAYER_KEYS.get(name):
            if body is not None and not (name in LAYER_KEYS and body.is_map
                                         and not body.field_names()):
                raise body.error(f"{name} takes no settings")
            one = layer
        elif body is None:
            if name in REQUIRED_KEYS:
                raise item.error(f"a {name} layer needs its settings")
            one = layer
        else:
            one = _layer_body(name, body, layer)
    n = 1
    if item.get("repeat") is not None:
        n = item["repeat"].integer(positive=True, what="a number of repeats")
        if n > MAX_REPEAT:
            raise item["repeat"].error(f"expected at most {MAX_REPEAT:,} repeats, got {n:,}")
    return [one] * n


def _layer_list(doc) -> list:
    out = []
    for it in doc.items():
        out.extend(_item(it))
    if not out:
        raise doc.error("expected at least one layer")
    return out


def count_layers(layers) -> int:
    """Layers in a stack, those of its blocks included."""
    n = 0
    for L in layers:
        if isinstance(L, Residual):
            n += 1 + count_layers(L.layers) + count_layers(L.shortcut or []) + \
                (L.activation is not None)
        else:
            n += 1
    return n


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
    layers = _layer_list_counted(doc["layers"])
    compare = doc["compare_dense"].boolean() if doc.get("compare_dense") is not None else False
    problem = ShapeProblem(input_shape, layers, compare, title, _where(ind),
                           where=(doc.path, doc.line, doc.col, None))
    layer_shapes(problem)     # refuse a stack that does not fit, naming the layer
    return problem


def _layer_list_counted(doc) -> list:
    layers = _layer_list(doc)
    n = count_layers(layers)
    if n > MAX_LAYERS:
        raise doc.error(f"expected at most {MAX_LAYERS:,} layers after `repeat`, got {n:,}")
    return layers


def build_single(input_shape: tuple, *, kernel: Pair | None = None, filters: int = 1,
                 stride: Pair | None = None, padding=((0, 0), (0, 0)), dilation: Pair = (1, 1),
                 transposed: bool = False, output_padding: Pair = (0, 0),
                 pool: str | None = None, size: Pair | None = None,
                 ceil_mode: bool = False, groups: int = 1) -> ShapeProblem:
    """One layer (or a convolution and its pooling) from command-line options."""
    layers = []
    if kernel is not None:
        layers.append(Layer("conv_transpose" if transposed else "conv", filters=filters,
                            kernel=kernel, stride=stride or (1, 1), padding=padding,
                            dilation=dilation, output_padding=output_padding, groups=groups,
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
    """A layer's input and output shapes, and its padding in numbers; for a residual block, the
    shapes along its layers, its shortcut (None: the identity) and the activation on the sum."""

    in_shape: tuple
    out_shape: tuple
    pads: Pads = ((0, 0), (0, 0))
    label: str = ""
    main: tuple = ()
    shortcut: tuple | None = None
    activation: "LayerShape | None" = None


def fmt_shape(shape) -> str:
    """3 × 224 × 224."""
    return " × ".join(f"{n:,}" for n in shape)


def layer_shapes(problem: ShapeProblem) -> list[LayerShape]:
    """Every layer's input and output shape; a layer that does not fit is a ProblemError."""
    hint = channels_first_hint(problem.input_shape) \
        if looks_channels_last(problem.input_shape) else None
    shapes, _shape, _flat = _walk(problem.layers, tuple(problem.input_shape), False, "", hint,
                                  getattr(problem, "strict", True))
    return shapes


def _walk(layers, shape, flattened, prefix, hint, strict=True) -> tuple[list, tuple, bool]:
    """The shapes along a list of layers from ``shape``, each labelled as the table numbers it
    (5, 5.1 for a block's layer, 5.s1 for its shortcut's)."""
    out = []
    for i, layer in enumerate(layers, start=1):
        label = f"{prefix}{i}"
        if isinstance(layer, Residual):
            main, m_shape, m_flat = _walk(layer.layers, shape, flattened, label + ".", hint,
                                          strict)
            if layer.shortcut is not None:
                short, s_shape, s_flat = _walk(layer.shortcut, shape, flattened, label + ".s",
                                               hint, strict)
            else:
                short, s_shape, s_flat = None, shape, flattened
            if m_shape != s_shape and strict:
                which = "its shortcut" if layer.shortcut is not None else \
                    "the identity shortcut (its input)"
                fix = "" if layer.shortcut is not None else \
                    "; give a `shortcut` that maps one to the other (a 1×1 conv)"
                raise layer.error(f"residual block {label}: its layers give "
                                  f"{fmt_shape(m_shape)} but {which} gives "
                                  f"{fmt_shape(s_shape)}; the two are added, so they must "
                                  f"agree{fix}")
            act = None
            if layer.activation is not None:
                act = LayerShape(m_shape, m_shape, label=f"{label}.{len(main) + 1}")
            out.append(LayerShape(shape, m_shape, label=label, main=tuple(main),
                                  shortcut=None if short is None else tuple(short),
                                  activation=act))
            shape, flattened = m_shape, m_flat and s_flat
            continue
        in_shape = shape
        shape, pads, flattened = _layer_shape(layer, shape, flattened, label, hint)
        out.append(LayerShape(in_shape, shape, pads, label=label))
    return out, shape, flattened


def _layer_shape(layer, shape, flattened, n, hint) -> tuple:
    """One layer's output shape, its padding in numbers, and whether the shape is flat now."""
    t = layer.type
    pads = ((0, 0), (0, 0))
    if t in ("conv", "conv_transpose", "pool", "global_avg_pool"):
        if len(shape) != 3:
            why = "(after flatten); put it before `flatten`" if flattened else \
                "(flat from the start); give the input as C×H×W"
            raise layer.error(f"a {t} layer needs a C×H×W input, but its input is "
                              f"[{fmt_shape(shape)}] {why}")
    if t == "global_avg_pool":
        return (shape[0], 1, 1), pads, flattened
    if t in ("conv", "conv_transpose", "pool"):
        C, H, W = shape
        dil = layer.dilation if t != "pool" else (1, 1)
        pads = resolve_padding(layer.padding, (H, W), layer.kernel, layer.stride, dil)
        axes = list(zip((H, W), pads, layer.kernel, layer.stride, dil))
        if t == "conv":
            if C % layer.groups:
                raise layer.error(f"the {C} input channels cannot be split into "
                                  f"{layer.groups} groups in layer {n}: the channels must be "
                                  "a multiple of groups", _field(layer, "groups"))
            for i, p, k, _s, d in axes:
                if not window_fits(i, p, k, d):
                    raise layer.error(
                        f"the kernel ({layer.kernel[0]}×{layer.kernel[1]}"
                        + (f", {effective_kernel(k, d)} wide with dilation {d}" if d > 1
                           else "")
                        + f") is larger than its input ({H}×{W}"
                        + (f", {H + sum(pads[0])}×{W + sum(pads[1])} after padding"
                           if pads != ((0, 0), (0, 0)) else "")
                        + f") in layer {n}" + (f"; {hint}" if hint else ""))
            return (layer.filters,) + tuple(conv_out(*a) for a in axes), pads, flattened
        if t == "conv_transpose":
            for axis in range(2):
                if layer.output_padding[axis] >= max(layer.stride[axis], dil[axis]):
                    raise layer.error(f"output_padding must be smaller than the stride or "
                                      f"the dilation, got {layer.output_padding[axis]} in "
                                      f"layer {n}")
            size = tuple(transposed_out(*a, op) for a, op in zip(axes, layer.output_padding))
            if min(size) < 1:
                raise layer.error(f"the padding leaves no output ({size[0]}×{size[1]}) in "
                                  f"layer {n}")
            return (layer.filters,) + size, pads, flattened
        for i, p, k, _s, _d in axes:
            if not pool_padding_fits(p, k):
                raise layer.error(f"a pool's padding must be at most half its size "
                                  f"({k // 2}), got {max(p)}")
            if not window_fits(i, p, k):
                raise layer.error(f"the pool window ({layer.kernel[0]}×"
                                  f"{layer.kernel[1]}) is larger than its input "
                                  f"({H}×{W}) in layer {n}" + (f"; {hint}" if hint else ""))
        return (C,) + tuple(pool_out(i, p, k, s, layer.ceil_mode)
                            for i, p, k, s, _d in axes), pads, flattened
    if t == "flatten":
        size = 1
        for d in shape:
            size *= d
        return (size,), pads, True
    if t == "dense":
        if len(shape) != 1:
            raise layer.error(f"a dense layer needs a flat input, but its input is "
                              f"{fmt_shape(shape)}; put `- flatten` before it")
        return (layer.units,), pads, flattened
    return shape, pads, flattened    # activations, batchnorm and dropout keep the shape


def _field(layer, key: str) -> str | None:
    fld = layer.where[3]
    return f"{fld}.{key}" if fld and not fld.startswith("--") else fld
