"""A backpropagation problem: a fully connected network, samples, a loss, an optimiser step."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...load.yamldoc import describe
from ...numbers import format_number
from ...ops.registry import losses
from ..common import Activation, choose_exact, float_reason, parse_activation, to_mode

CLASS_LOSSES = ("cross_entropy", "hinge")     # a target may be a class index
FIELDS = ["kind", "title", "input", "target", "samples", "layers", "loss", "learning_rate",
          "steps", "reduction", "regularization", "update_bias", "optimizer", "margin"]


@dataclass
class Layer:
    """One fully connected layer: W (units × inputs), optional bias b, activation."""

    W: object
    b: object | None
    activation: Activation
    type: str = "dense"
    epsilon: object = None     # batch norm's ε (a batchnorm layer holds γ in W and β in b)


@dataclass
class BackpropProblem:
    """A network, its samples (one row each), loss and gradient-descent settings."""

    layers: list
    X: object                  # samples × inputs
    Y: object                  # samples × outputs
    loss: str
    learning_rate: Fraction
    steps: int = 1
    batch: bool = False        # given as `samples` (JSON then has a leading sample axis)
    reduction: str = "mean"
    regularization: tuple | None = None   # (p, alpha)
    update_bias: bool = True
    exact: bool = True
    title: str | None = None
    kind: str = "backprop"
    # (path, line, col, field) for errors found while solving: of the problem as a whole, and of
    # its `loss` (an infinite loss)
    where: tuple = (None, None, None, None)
    loss_where: tuple = (None, None, None, "loss")
    input_shape: tuple | None = None      # one sample's input as written (None: a vector)
    shapes: tuple = ()                    # each layer's output shape (0: the input), no batch
    optimizer: object = None   # an ops.optim.Optimizer, or None: plain gradient descent
    margin: Fraction = Fraction(1)   # Δ of the hinge loss
    float_reason: str | None = None   # why exact input is computed in float64 (a note), if it is

    @property
    def cnn(self) -> bool:
        """The network has conv, pool or flatten layers (its input is C×H×W maps)."""
        return any(l.type in ("conv", "pool", "flatten", "activation") for l in self.layers)


def _vector(doc, what):
    a = doc.array(ndims=(0, 1), what=what)
    return a.reshape(-1)


def _target(doc, loss, units):
    """A target vector; for cross-entropy a whole number is a 0-based class index."""
    import numpy as np
    a = doc.array(ndims=(0, 1), what="a target")
    if a.ndim == 0 and loss in CLASS_LOSSES and units > 1:
        k = a[()]
        if not (isinstance(k, Fraction) and k.denominator == 1) or not 0 <= k < units:
            raise doc.error(f"expected a class index 0..{units - 1} (or a one-hot vector of "
                            f"{units}), got {doc.node.value}")
        onehot = np.array([Fraction(int(i == k)) for i in range(units)], dtype=object)
        return onehot
    return a.reshape(-1)


def _where(doc) -> tuple:
    return (doc.path, doc.line, doc.col, doc.field or None)


def parse(doc) -> BackpropProblem:
    """Build a BackpropProblem from a problem file, checking every field and shape."""
    od = doc.get("optimizer")
    lr_in_optimizer = od is not None and od.is_map and od.has("learning_rate")
    doc.keys(FIELDS, required=["layers", "loss"] + ([] if lr_in_optimizer else ["learning_rate"]))
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    layers = []
    layer_docs = doc["layers"].items()
    if not layer_docs:
        raise doc["layers"].error("expected at least one layer")
    kinds = [_layer_kind(ld) for ld in layer_docs]
    if any(k in ("conv", "pool", "flatten") for k in kinds):
        return _parse_cnn(doc, layer_docs, title)
    if "activation" in kinds:
        raise layer_docs[kinds.index("activation")].error(
            "an activation layer is for networks with conv, pool or flatten layers; in a "
            "network of dense layers write `activation:` on the dense layer")
    bn_docs = []
    for i, ld in enumerate(layer_docs):
        if _is_batchnorm(ld):
            from .batchnorm import parse_layer
            layers.append(parse_layer(ld, i, layers))
            bn_docs.append(ld)
            continue
        ld.keys(["weights", "bias", "activation"], required=["weights"])
        W = ld["weights"].array(ndims=(2,), what="a weight matrix (one row per unit)")
        b, act = _bias_and_activation(ld, W, i, last=i == len(layer_docs) - 1)
        if i > 0:
            prev = layers[-1].W.shape[0]     # (γ's length after a batch norm)
            if W.shape[1] != prev:
                raise ld["weights"].error(f"expected {prev} column{'s' * (prev != 1)} (layer {i} "
                                          f"has {prev} unit{'s' * (prev != 1)}), got {W.shape[1]}")
        layers.append(Layer(W, b, act))
    n_in = layers[0].W.shape[0 if layers[0].type == "batchnorm" else 1]
    n_out = layers[-1].W.shape[0]
    loss = doc["loss"].text(list(losses()), what="loss")   # after the layers, as in a file: errors in order

    has_single = doc.has("input") or doc.has("target")
    if doc.has("samples"):
        if has_single:
            raise doc.get("input" if doc.has("input") else "target").error(
                "give either `input`/`target` or `samples`, not both")
        X, Y = _samples(doc["samples"], loss, n_in, n_out)
        batch = True
    else:
        if not has_single:
            raise doc.error("missing field `input` and `target` (one sample), or `samples` "
                            "(a batch)")
        x, y = _sample(doc, loss, n_in, n_out)
        X, Y = x.reshape(1, -1), y.reshape(1, -1)
        batch = False

    lr, optimizer, margin, steps, reduction, reg, update_bias = _settings(doc, loss)
    from .batchnorm import check_batch
    check_batch(bn_docs, [(l.W.shape[0],) for l in layers if l.type == "batchnorm"], X.shape[0])
    _check_size(doc, layers, X.shape[0], steps)
    _check_loss_fits(doc, loss, layers, Y)

    arrays = [X, Y] + [l.W for l in layers] + [l.b for l in layers]
    exact = choose_exact(arrays, growth=2)     # the forward pass, then the backward one
    reason = float_reason(arrays, growth=2)
    for l in layers:
        l.W = to_mode(l.W, exact)
        l.b = to_mode(l.b, exact) if l.b is not None else None
    return BackpropProblem(layers=layers, X=to_mode(X, exact), Y=to_mode(Y, exact), loss=loss,
                           learning_rate=lr, optimizer=optimizer, margin=margin, steps=steps,
                           batch=batch,
                           reduction=reduction,
                           regularization=reg, update_bias=update_bias, exact=exact, title=title,
                           where=_where(doc), loss_where=_where(doc["loss"]),
                           float_reason=reason)


def _settings(doc, loss):
    """learning_rate (or the optimizer's), optimizer, margin, steps, reduction,
    regularization, update_bias."""
    od = doc.get("optimizer")
    lr_in_optimizer = od is not None and od.is_map and od.has("learning_rate")
    lr = doc["learning_rate"].number(positive=True, what="a learning rate") \
        if doc.get("learning_rate") is not None or not lr_in_optimizer else None
    optimizer = None
    if od is not None:
        from ..optimizer import parse_optimizer
        optimizer = parse_optimizer(od, lr)
        lr = optimizer.lr
    steps = doc["steps"].integer(positive=True, what="a number of steps") \
        if doc.get("steps") is not None else 1
    if steps > 1000:
        raise doc["steps"].error(f"expected at most 1000 steps, got {steps}")
    reduction = doc["reduction"].text(["mean", "sum"], what="reduction") \
        if doc.get("reduction") is not None else "mean"
    reg = None
    if doc.get("regularization") is not None:
        rd = doc["regularization"]
        rd.keys(["p", "alpha"], required=["p", "alpha"])
        reg = (rd["p"].number(positive=True, what="p"),
               rd["alpha"].number(nonnegative=True, what="alpha"))
    margin = Fraction(1)
    if doc.get("margin") is not None:
        if loss != "hinge":
            raise doc["margin"].error(f"a margin is for `loss: hinge`, not {loss}")
        margin = doc["margin"].number(nonnegative=True, what="a margin")
    update_bias = doc["update_bias"].boolean() if doc.get("update_bias") is not None else True
    return lr, optimizer, margin, steps, reduction, reg, update_bias


def _check_size(doc, layers, n, steps):
    """Refuse, before computing, a run whose values (kept for every step) would be too many."""
    from ...load.arrays import MAX_NUMBERS
    units = sum(l.W.shape[0] for l in layers)
    params = sum(l.W.size + (0 if l.b is None else l.b.size) for l in layers)
    count = steps * (4 * n * units + 3 * params)     # a, h, ∂J/∂h, ∂J/∂a; W, ∂J/∂W, W_new
    if count > MAX_NUMBERS:
        where = doc["steps"] if doc.get("steps") is not None else \
            doc.get("samples") or doc["layers"]
        raise where.error(f"too large: {steps} step{'s' * (steps != 1)} of {n} "
                          f"sample{'s' * (n != 1)} through {units} units make {count:,} numbers "
                          f"to compute and show, more than {MAX_NUMBERS:,}")


def _check_loss_fits(doc, loss, layers, Y):
    import numpy as np
    if layers[-1].type == "activation" and loss in ("cross_entropy", "binary_cross_entropy",
                                                    "hinge"):
        need = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid",
                "hinge": "linear"}[loss]
        raise doc["loss"].error(f"{loss} needs a {need} output layer: write `activation: "
                                f"{need}` on the last dense layer, not an activation layer "
                                f"after it (layer {len(layers)})")
    out = layers[-1].activation.name
    is_ = "a batch norm" if layers[-1].type == "batchnorm" else out    # (no activation of its own)
    if loss == "cross_entropy" and out != "softmax":
        raise doc["loss"].error(f"cross_entropy needs a softmax output layer (layer "
                                f"{len(layers)} is {is_})")
    if loss == "binary_cross_entropy" and out != "sigmoid":
        raise doc["loss"].error(f"binary_cross_entropy needs a sigmoid output layer (layer "
                                f"{len(layers)} is {is_})")
    if loss == "hinge":
        if out != "linear":
            raise doc["loss"].error(f"hinge scores the classes with a linear output layer (layer "
                                    f"{len(layers)} is {out})")
        if layers[-1].W.shape[0] < 2:
            raise doc["loss"].error("hinge needs at least 2 classes (output units)")
        Yf = np.asarray(Y.tolist(), dtype=float)
        where = doc.get("target") or doc.get("samples")
        if not (np.all((Yf == 0) | (Yf == 1)) and np.all(Yf.sum(axis=1) == 1)):
            raise where.error("hinge needs a class index or a one-hot target")
    if loss in ("cross_entropy", "binary_cross_entropy"):
        Yf = np.asarray(Y.tolist(), dtype=float)
        where = doc.get("target") or doc.get("samples")
        if np.any(Yf < 0) or np.any(Yf > 1):
            raise where.error(f"{loss} needs targets between 0 and 1")
        if loss == "cross_entropy" and not np.allclose(Yf.sum(axis=1), 1):
            raise where.error("cross_entropy needs targets that sum to 1 (one-hot, or a class "
                              "index)")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("s" if n != 1 else "")


def _sample(doc, loss, n_in, n_out):
    """One sample's `input` and `target` (of a problem, or of an item of `samples`), checked."""
    x = _vector(doc["input"], "an input vector")
    y = _target(doc["target"], loss, n_out)
    if x.shape[0] != n_in:
        raise doc["input"].error(f"expected {_plural(n_in, 'value')} (layer 1 has "
                                 f"{_plural(n_in, 'input column')}), got {x.shape[0]}")
    if y.shape[0] != n_out:
        raise doc["target"].error(f"expected {_plural(n_out, 'value')} (the output layer has "
                                  f"{_plural(n_out, 'unit')}), got {y.shape[0]}")
    return x, y


def _samples(doc, loss, n_in, n_out):
    import numpy as np
    if doc.is_map:
        doc.keys(["inputs", "targets"], required=["inputs", "targets"])
        X = doc["inputs"].array(ndims=(1, 2), what="inputs (one row per sample)")
        if X.ndim == 1:
            X = X.reshape(-1, 1) if n_in == 1 else X.reshape(1, -1)
        Yd = doc["targets"]
        Y = _target_rows(Yd, loss, n_out)
        if X.shape[1] != n_in:
            raise doc["inputs"].error(f"expected {n_in} columns (layer 1 has {n_in} inputs), "
                                      f"got {X.shape[1]}")
        if Y.shape[1] != n_out:
            raise Yd.error(f"expected {n_out} columns (the output layer has {n_out} units), "
                           f"got {Y.shape[1]}")
        if X.shape[0] != Y.shape[0]:
            raise Yd.error(f"expected {X.shape[0]} rows (one per input row), got {Y.shape[0]}")
        return X, Y
    items = doc.items()
    if not items:
        raise doc.error("expected at least one sample")
    xs, ys = [], []
    for it in items:
        it.keys(["input", "target"], required=["input", "target"])
        x, y = _sample(it, loss, n_in, n_out)
        xs.append(x)
        ys.append(y)
    X = np.empty((len(xs), n_in), dtype=object if all(x.dtype == object for x in xs) else float)
    Y = np.empty((len(ys), n_out), dtype=object if all(y.dtype == object for y in ys) else float)
    for i, (x, y) in enumerate(zip(xs, ys)):
        X[i], Y[i] = x, y
    return X, Y


def _onehot(doc, labels, n_out):
    import numpy as np
    lab = np.asarray(labels.tolist(), dtype=float)
    bad = (lab != np.round(lab)) | (lab < 0) | (lab >= n_out)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise doc.error(f"expected class indices 0..{n_out - 1}, one per sample; sample "
                        f"{i + 1} has {format_number(labels[i]).text}")
    Y = np.zeros((lab.shape[0], n_out), dtype=labels.dtype if labels.dtype == object else float)
    if labels.dtype == object:
        Y[:] = Fraction(0)
        for i, k in enumerate(lab.astype(int)):
            Y[i, k] = Fraction(1)
    else:
        Y[np.arange(lab.shape[0]), lab.astype(int)] = 1.0
    return Y


# --- CNN layers: conv, pool, flatten (SPEC "backprop through a CNN") --------------------------

@dataclass
class ConvLayer:
    """A convolution layer: kernels K (F×C×kh×kw, as written), optional bias (one per filter),
    the op (stride, padding, dilation, mode) and an activation. ``W`` is K (the parameter)."""

    W: object
    b: object | None
    activation: Activation
    op: object                     # ops.conv.Conv
    padding_rule: str | None = None
    type: str = "conv"

    @property
    def K(self):
        return self.W


@dataclass
class PoolLayer:
    """Max or average pooling (no parameters)."""

    op: object                     # ops.pooling.PoolLayer wrapping ops.pool.Pool
    W: object = None
    b: object = None
    type: str = "pool"


@dataclass
class ActivationLayer:
    """An activation alone, h = f(x) elementwise on the layer before's output (units or
    C×H×W maps); no parameters."""

    activation: Activation
    W: object = None
    b: object = None
    type: str = "activation"


@dataclass
class FlattenLayer:
    """C×H×W → a vector in C, H, W order."""

    W: object = None
    b: object = None
    type: str = "flatten"


def _is_batchnorm(ld) -> bool:
    """A `batchnorm:` item, or `- batchnorm` alone (γ = 1, β = 0)."""
    if ld.is_scalar and not ld.is_null:
        return ld.node.value == "batchnorm"
    return ld.is_map and ld.has("batchnorm")


def _layer_kind(ld) -> str:
    """`flatten`, or the one key that says what a layer item is (conv, pool, batchnorm,
    weights)."""
    if ld.is_scalar and not ld.is_null and ld.node.value in ("flatten", "batchnorm"):
        return ld.node.value
    if not ld.is_map:
        raise ld.error(f"expected a layer: a mapping with `weights:` (and `activation:`, "
                       f"`bias:`), `conv:`, `pool:` or `batchnorm:`, or `flatten`; got "
                       f"{describe(ld.node)}")
    for key in ("conv", "pool", "flatten", "batchnorm", "activation"):
        if key == "activation" and (ld.has("weights") or ld.has("conv")):
            continue         # (a dense or conv layer's own activation)
        if ld.has(key):
            return key
    return "dense"


def _activation_layer(ld, i):
    """An `activation:` layer item: any activation of the registry but softmax."""
    from ...ops.registry import activation_names
    if i == 0:
        raise ld.error("an activation layer acts on the output of the layer before it: it "
                       "cannot be the first layer")
    ld.keys(["activation"], required=["activation"])
    ad = ld["activation"]
    name_doc = ad["name"] if ad.is_map and ad.get("name") is not None else ad
    if name_doc.is_scalar and name_doc.node.value in activation_names(with_aliases=True) \
            and name_doc.node.value not in activation_names(conv=True, with_aliases=True):
        raise name_doc.error(f"{name_doc.node.value} cannot be an activation layer: write "
                             f"`activation: {name_doc.node.value}` on the output dense layer")
    return ActivationLayer(parse_activation(ad, allow_softmax=False))


def _conv_layer(ld, shape, i):
    """A `conv:` layer item on an input of ``shape`` (C, H, W)."""
    from ...ops.conv import Conv
    from ...sizes import conv_out, effective_kernel, window_fits
    from ..conv.spec import MODES, padding_from_doc, pair_from_doc, resolve_padding
    import numpy as np
    ld.keys(["conv", "activation"], required=["conv"])
    cd = ld["conv"]
    cd.keys(["kernel", "kernels", "bias", "stride", "padding", "dilation", "mode"])
    if cd.get("kernel") is None and cd.get("kernels") is None:
        raise cd.error("missing field `kernel` (one filter) or `kernels` (a list of filters)")
    if cd.get("kernel") is not None and cd.get("kernels") is not None:
        raise cd["kernels"].error("give either `kernel` (one filter) or `kernels`, not both")
    C, H, W = shape
    if cd.get("kernel") is not None:
        docs = [cd["kernel"]]
        kernels = [cd["kernel"].array(ndims=(2, 3), what="a kernel (kh×kw or C×kh×kw)")]
    else:
        kd = cd["kernels"]
        if not kd.is_seq:
            arr = kd.array(ndims=(4,), what="a list of kernels, or an F×C×kh×kw .npy file")
            kernels, docs = list(arr), [kd] * arr.shape[0]
        else:
            docs = kd.items()
            kernels = [it.array(ndims=(2, 3), what="a kernel (kh×kw or C×kh×kw)")
                       for it in docs]
        if not kernels:
            raise kd.error("expected at least one kernel")
    Ks = []
    for k, kdoc in zip(kernels, docs):
        Kc = k if k.ndim == 3 else k.reshape((1,) + k.shape)
        if Kc.shape[0] != C:
            raise kdoc.error(f"expected {C} channel{'s' * (C != 1)} (the input of layer {i + 1} "
                             f"is {C}×{H}×{W}), got a kernel of shape "
                             f"{'×'.join(map(str, k.shape))}")
        if Ks and Kc.shape != Ks[0].shape:
            raise kdoc.error(f"this filter is {'×'.join(map(str, Kc.shape))}, the first is "
                             f"{'×'.join(map(str, Ks[0].shape))}; all filters of a layer have "
                             f"one size")
        Ks.append(Kc)
    K = np.stack(Ks)
    F_, _, kh, kw = K.shape
    stride = pair_from_doc(cd["stride"], "a stride") if cd.get("stride") is not None else (1, 1)
    dilation = pair_from_doc(cd["dilation"], "a dilation") \
        if cd.get("dilation") is not None else (1, 1)
    padding = padding_from_doc(cd["padding"]) if cd.get("padding") is not None \
        else ((0, 0), (0, 0))
    rule = padding if isinstance(padding, str) else None
    pads = resolve_padding(padding, (H, W), (kh, kw), stride, dilation)
    mode = cd["mode"].text(MODES, what="mode") if cd.get("mode") is not None \
        else "cross_correlation"
    if not all(window_fits(n, p, k, d) for n, p, k, d in zip((H, W), pads, (kh, kw), dilation)):
        (pt, pb), (pl, pr) = pads
        eh, ew = effective_kernel(kh, dilation[0]), effective_kernel(kw, dilation[1])
        raise docs[0].error(f"the kernel ({eh}×{ew}"
                            + (" with dilation" if dilation != (1, 1) else "")
                            + f") is larger than the input of layer {i + 1} "
                            f"({H + pt + pb}×{W + pl + pr}"
                            + (" after padding" if (pt, pb, pl, pr) != (0, 0, 0, 0) else "")
                            + "); no window fits")
    b = None
    if cd.get("bias") is not None:
        b = cd["bias"].array(ndims=(0, 1), what="a bias (one per filter)").reshape(-1)
        if b.shape[0] != F_:
            raise cd["bias"].error(f"expected {F_} value{'s' * (F_ != 1)} (one per filter), "
                                   f"got {b.shape[0]}")
    act = parse_activation(ld["activation"], allow_softmax=False) \
        if ld.get("activation") is not None else Activation("linear")
    op = Conv(stride=stride, padding=pads, dilation=dilation, mode=mode)
    out = (F_,) + tuple(conv_out(n, p, k, s, d) for n, p, k, s, d in
                        zip((H, W), pads, (kh, kw), stride, dilation))
    return ConvLayer(K, b, act, op, rule), out


def _pool_layer(ld, shape, i):
    """A `pool:` layer item on an input of ``shape`` (C, H, W)."""
    from ...ops.pooling import Pooling
    from ..conv.spec import read_pool
    ld.keys(["pool"], required=["pool"])
    pd = ld["pool"]
    pd.keys(["type", "size", "stride", "padding", "ceil_mode"], required=["type", "size"])
    pool = read_pool(pd, ceil_mode=True)
    C, H, W = shape
    wrong = pool.misfit(H, W)
    if wrong is not None:
        raise (pd["padding"] if "padding" in wrong.split()[0] and pd.get("padding") is not None
               else pd["size"]).error(f"layer {i + 1}: {wrong}")
    return PoolLayer(Pooling(pool)), (C,) + tuple(pool.out_size(H, W))


def _target_rows(Yd, loss: str, n_out: int):
    """A batch's targets from a matrix file or list: one row per sample (class indices one-hot)."""
    Y = Yd.array(ndims=(1, 2), what="targets (one row per sample)")
    if Y.ndim == 1:
        if loss in CLASS_LOSSES and n_out > 1:
            Y = _onehot(Yd, Y, n_out)
        else:
            Y = Y.reshape(-1, 1) if n_out == 1 else Y.reshape(1, -1)
    return Y


def _bias_and_activation(ld, W, i: int, last: bool):
    """A dense layer's bias (one per unit, or None) and activation (softmax on the last only)."""
    b = None
    if ld.get("bias") is not None:
        b = ld["bias"].array(ndims=(0, 1), what="a bias vector").reshape(-1)
        if b.shape[0] != W.shape[0]:
            raise ld["bias"].error(f"expected {W.shape[0]} values (one per unit of layer "
                                   f"{i + 1}), got {b.shape[0]}")
    act = parse_activation(ld["activation"]) if ld.get("activation") is not None \
        else Activation("linear")
    if act.name == "softmax" and not last:
        raise ld["activation"].error("softmax is for the output layer only")
    return b, act


def _dense_layer(ld, shape, i, last: bool):
    """A dense layer item after flatten (or another dense layer) on a vector of ``shape``."""
    ld.keys(["weights", "bias", "activation"], required=["weights"])
    if len(shape) != 1:
        raise ld.error(f"a dense layer needs a vector, but the input of layer {i + 1} is "
                       f"{'×'.join(map(str, shape))}: put `- flatten` before it")
    W = ld["weights"].array(ndims=(2,), what="a weight matrix (one row per unit)")
    if W.shape[1] != shape[0]:
        raise ld["weights"].error(f"expected {_plural(shape[0], 'column')} (the input of layer "
                                  f"{i + 1} has {_plural(shape[0], 'value')}), got {W.shape[1]}")
    b, act = _bias_and_activation(ld, W, i, last)
    return Layer(W, b, act), (W.shape[0],)


def _image(doc, what="an input"):
    """One sample's input: H×W (one channel) or C×H×W; returns (C×H×W array, shape as written)."""
    a = doc.array(ndims=(2, 3), what=f"{what}: an H×W matrix or C×H×W channels")
    return (a if a.ndim == 3 else a.reshape((1,) + a.shape)), tuple(a.shape)


def _parse_cnn(doc, layer_docs, title) -> BackpropProblem:
    """A network that starts on an image: conv, pool and flatten layers, then dense ones."""
    import numpy as np
    has_single = doc.has("input") or doc.has("target")
    batch = doc.has("samples")
    if batch and has_single:
        raise doc.get("input" if doc.has("input") else "target").error(
            "give either `input`/`target` or `samples`, not both")
    if not batch and not has_single:
        raise doc.error("missing field `input` and `target` (one sample), or `samples` "
                        "(a batch)")
    # the input first: the layers' sizes follow from its shape
    target_docs = []
    if batch:
        sd = doc["samples"]
        if sd.is_map:
            sd.keys(["inputs", "targets"], required=["inputs", "targets"])
            Xa = sd["inputs"].array(ndims=(3, 4), what="inputs (N×H×W or N×C×H×W, one image "
                                                       "per sample)")
            input_shape = tuple(Xa.shape[1:])
            X = Xa if Xa.ndim == 4 else Xa.reshape((Xa.shape[0], 1) + Xa.shape[1:])
        else:
            items = sd.items()
            if not items:
                raise sd.error("expected at least one sample")
            xs = []
            input_shape = None
            for it in items:
                it.keys(["input", "target"], required=["input", "target"])
                x, shp = _image(it["input"])
                if input_shape is not None and shp != input_shape:
                    raise it["input"].error(f"expected {'×'.join(map(str, input_shape))} (as the "
                                            f"first sample), got {'×'.join(map(str, shp))}")
                input_shape = shp
                xs.append(x)
                target_docs.append(it["target"])
            X = np.empty((len(xs),) + xs[0].shape,
                         dtype=object if all(x.dtype == object for x in xs) else float)
            for i, x in enumerate(xs):
                X[i] = x
    else:
        if not doc.has("input"):
            raise doc.error("missing field `input`")
        x, input_shape = _image(doc["input"])
        X = x.reshape((1,) + x.shape)
        target_docs.append(doc["target"] if doc.has("target") else None)
    shape = tuple(X.shape[1:])
    shapes = [shape]
    layers = []
    bn_docs, bn_shapes = [], []
    for i, ld in enumerate(layer_docs):
        kind = _layer_kind(ld)
        if kind == "batchnorm":     # per channel on maps, per unit on a vector
            from .batchnorm import parse_layer
            layers.append(parse_layer(ld, i, layers, shape))
            bn_docs.append(ld)
            bn_shapes.append(shape)
            shapes.append(shape)
            continue
        if kind in ("conv", "pool") and len(shape) != 3:
            raise ld.error(f"a {kind} layer needs C×H×W maps, but the input of layer {i + 1} is "
                           f"a vector of {shape[0]}; conv and pool layers come before flatten")
        if kind == "conv":
            layer, shape = _conv_layer(ld, shape, i)
        elif kind == "pool":
            layer, shape = _pool_layer(ld, shape, i)
        elif kind == "flatten":
            if not ld.is_scalar:
                ld.keys(["flatten"])
            if len(shape) != 3:
                raise ld.error(f"flatten needs C×H×W maps, but the input of layer {i + 1} is "
                               f"already a vector")
            layer, shape = FlattenLayer(), (int(np.prod(shape)),)
        elif kind == "activation":
            layer = _activation_layer(ld, i)
        else:
            layer, shape = _dense_layer(ld, shape, i, i == len(layer_docs) - 1)
        layers.append(layer)
        shapes.append(shape)
    if len(shape) != 1:
        raise layer_docs[-1].error(f"the network's output is {'×'.join(map(str, shape))} maps: "
                                   f"end it with `- flatten` and dense layers")
    n_out = shape[0]
    loss = doc["loss"].text(list(losses()), what="loss")
    if batch and doc["samples"].is_map:
        Yd = doc["samples"]["targets"]
        Y = _target_rows(Yd, loss, n_out)
        if Y.shape[1] != n_out:
            raise Yd.error(f"expected {n_out} columns (the output layer has {n_out} units), "
                           f"got {Y.shape[1]}")
        if X.shape[0] != Y.shape[0]:
            raise Yd.error(f"expected {X.shape[0]} rows (one per input), got {Y.shape[0]}")
    else:
        ys = []
        for td in target_docs:
            if td is None:
                raise doc.error("missing field `target`")
            y = _target(td, loss, n_out)
            if y.shape[0] != n_out:
                raise td.error(f"expected {_plural(n_out, 'value')} (the output layer has "
                               f"{_plural(n_out, 'unit')}), got {y.shape[0]}")
            ys.append(y)
        Y = np.empty((len(ys), n_out), dtype=object if all(y.dtype == object for y in ys)
                     else float)
        for i, y in enumerate(ys):
            Y[i] = y
    lr, optimizer, margin, steps, reduction, reg, update_bias = _settings(doc, loss)
    from .batchnorm import check_batch
    check_batch(bn_docs, bn_shapes, X.shape[0])
    _check_cnn_size(doc, layers, shapes, X.shape[0], steps)
    _check_loss_fits(doc, loss, layers, Y)
    arrays = [X, Y] + [l.W for l in layers if l.W is not None] + \
        [l.b for l in layers if l.b is not None]
    exact = choose_exact(arrays, growth=2)     # the forward pass, then the backward one
    reason = float_reason(arrays, growth=2)
    for l in layers:
        if l.W is not None:
            l.W = to_mode(l.W, exact)
        if l.b is not None:
            l.b = to_mode(l.b, exact)
    return BackpropProblem(layers=layers, X=to_mode(X, exact), Y=to_mode(Y, exact), loss=loss,
                           learning_rate=lr, optimizer=optimizer, margin=margin, steps=steps,
                           batch=batch, reduction=reduction, regularization=reg,
                           update_bias=update_bias, exact=exact, title=title,
                           where=_where(doc), loss_where=_where(doc["loss"]),
                           input_shape=input_shape, shapes=tuple(shapes),
                           float_reason=reason)


def _check_cnn_size(doc, layers, shapes, n, steps):
    """Refuse a run whose values, or whose convolutions' work, would be too large."""
    from ...load.arrays import MAX_NUMBERS
    import numpy as np
    cells = sum(int(np.prod(s)) for s in shapes)
    params = sum((0 if l.W is None else l.W.size) + (0 if l.b is None else l.b.size)
                 for l in layers)
    work = sum(int(np.prod(shapes[i + 1])) * int(np.prod(l.W.shape[1:]))
               for i, l in enumerate(layers) if l.type == "conv")
    count = steps * (4 * n * cells + 3 * params)
    if count > MAX_NUMBERS or steps * n * work * 3 > 2_000_000_000:
        where = doc["steps"] if doc.get("steps") is not None else \
            doc.get("samples") or doc["layers"]
        raise where.error(f"too large: {steps} step{'s' * (steps != 1)} of {n} "
                          f"sample{'s' * (n != 1)} through this network make {count:,} numbers "
                          f"to compute and show")
