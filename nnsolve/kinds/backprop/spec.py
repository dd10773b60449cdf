"""A backpropagation problem: a network of layers, samples, a loss, an optimiser's steps.

The layers are read by their types (``layers/``, one module each): this module reads the rest
of the problem (the input first when the network starts on an image, the samples and targets,
the loss and the settings) and walks the layer items through ``layers.recognize`` and each
type's ``read``."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...numbers import format_number
from ...ops.registry import losses
from ..common import choose_exact, float_reason, to_mode

CLASS_LOSSES = ("cross_entropy", "hinge")     # a target may be a class index
FIELDS = ["kind", "title", "input", "target", "samples", "layers", "loss", "learning_rate",
          "steps", "reduction", "regularization", "update_bias", "optimizer", "margin"]


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
        """The network has layers other than those of a fully connected network (dense and
        batch norm): the sheet shows maps and layers, not units drawn on the network."""
        from .layers import of
        return not all(of(l).fully_connected for l in self.layers)


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
    from .layers import recognize
    od = doc.get("optimizer")
    lr_in_optimizer = od is not None and od.is_map and od.has("learning_rate")
    doc.keys(FIELDS, required=["layers", "loss"] + ([] if lr_in_optimizer else ["learning_rate"]))
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    layer_docs = doc["layers"].items()
    if not layer_docs:
        raise doc["layers"].error("expected at least one layer")
    types = [recognize(ld) for ld in layer_docs]
    # the input is an image when the first layer that does not work on both (as a batch
    # norm does, per channel or per unit) needs maps
    maps = next((t.on_maps for t in types if not t.maps_or_vector), False)
    if maps:      # the input first: the layers' sizes follow from its shape
        X, batch, input_shape, target_docs = _images(doc)
        layers, shapes, readings = read_layers(layer_docs, tuple(X.shape[1:]))
        if len(shapes[-1]) != 1:
            raise layer_docs[-1].error(f"the network's output is {_times(shapes[-1])} maps: "
                                       f"end it with `- flatten` and dense layers")
        loss = doc["loss"].text(list(losses()), what="loss")
        Y = _image_targets(doc, batch, target_docs, loss, shapes[-1][0], X.shape[0])
    else:         # a vector input, whose size the first layer gives
        layers, shapes, readings = read_layers(layer_docs, None)
        input_shape = None
        loss = doc["loss"].text(list(losses()), what="loss")   # after the layers, as in a file
        X, Y, batch = _vectors(doc, loss, shapes[0][0], shapes[-1][0])
    lr, optimizer, margin, steps, reduction, reg, update_bias = _settings(doc, loss)
    for t, ld, layer, shape in readings:
        t.check_samples(ld, layer, shape, X.shape[0])
    _check_size(doc, layers, shapes, X.shape[0], steps)
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


def read_layers(layer_docs, shape):
    """Each layer item read by its type, on the output of the one before: the layers, the
    shape of one sample's values after each (0: the input), and (type, item, layer, input
    shape) of each for the checks that need the batch. ``shape`` None: a vector input whose
    size the first layer gives."""
    from .layers import Reading, recognize
    layers, shapes, readings = [], [shape], []
    for i, ld in enumerate(layer_docs):
        t = recognize(ld)
        layer, out = t.read(ld, Reading(i, shape, i == len(layer_docs) - 1, layers))
        if shape is None:
            shape = t.inferred_input(layer)
            if shape is None:
                raise ld.error(f"a {t.key} layer cannot come first in a network of vectors: "
                               f"its input's size is not known")
            shapes[0] = shape
        readings.append((t, ld, layer, shape))
        layers.append(layer)
        shapes.append(out)
        shape = out
    return layers, shapes, readings


def _vectors(doc, loss, n_in, n_out):
    """X, Y (a row per sample) and whether they came as `samples`, for a vector input."""
    has_single = doc.has("input") or doc.has("target")
    if doc.has("samples"):
        if has_single:
            raise doc.get("input" if doc.has("input") else "target").error(
                "give either `input`/`target` or `samples`, not both")
        X, Y = _samples(doc["samples"], loss, n_in, n_out)
        return X, Y, True
    if not has_single:
        raise doc.error("missing field `input` and `target` (one sample), or `samples` "
                        "(a batch)")
    x, y = _sample(doc, loss, n_in, n_out)
    return x.reshape(1, -1), y.reshape(1, -1), False


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


def _check_size(doc, layers, shapes, n, steps):
    """Refuse, before computing, a run whose values (kept for every step) or whose
    convolutions' work would be too large."""
    from ...load.arrays import MAX_NUMBERS
    import numpy as np
    from .layers import of
    maps = len(shapes[0]) == 3
    cells = sum(int(np.prod(s)) for s in shapes[0 if maps else 1:])   # (a vector input: units)
    params = sum(of(l).parameter_count(l) for l in layers)
    work = sum(of(l).work(l, shapes[i + 1]) for i, l in enumerate(layers))
    count = steps * (4 * n * cells + 3 * params)    # a, h, ∂J/∂h, ∂J/∂a; θ, ∂J/∂θ, θ_new
    if count > MAX_NUMBERS or steps * n * work * 3 > 2_000_000_000:
        where = doc["steps"] if doc.get("steps") is not None else \
            doc.get("samples") or doc["layers"]
        through = "this network" if maps else f"{cells} units"
        raise where.error(f"too large: {steps} step{'s' * (steps != 1)} of {n} "
                          f"sample{'s' * (n != 1)} through {through} make {count:,} numbers "
                          f"to compute and show, more than {MAX_NUMBERS:,}")


def _check_loss_fits(doc, loss, layers, Y):
    import numpy as np
    from .layers import of
    last = layers[-1]
    t = of(last)
    need = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid",
            "hinge": "linear"}.get(loss)
    misfit = t.loss_misfit(last, loss, need, len(layers)) if need is not None else None
    if misfit is not None:
        raise doc["loss"].error(misfit)
    out = t.output_activation(last)
    is_ = t.output_words(last)
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
        if Y.shape[1] < 2:
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


# --- a network that starts on an image --------------------------------------------------------

def _target_rows(Yd, loss: str, n_out: int):
    """A batch's targets from a matrix file or list: one row per sample (class indices one-hot)."""
    Y = Yd.array(ndims=(1, 2), what="targets (one row per sample)")
    if Y.ndim == 1:
        if loss in CLASS_LOSSES and n_out > 1:
            Y = _onehot(Yd, Y, n_out)
        else:
            Y = Y.reshape(-1, 1) if n_out == 1 else Y.reshape(1, -1)
    return Y


def _image(doc, what="an input"):
    """One sample's input: H×W (one channel) or C×H×W; returns (C×H×W array, shape as written)."""
    a = doc.array(ndims=(2, 3), what=f"{what}: an H×W matrix or C×H×W channels")
    return (a if a.ndim == 3 else a.reshape((1,) + a.shape)), tuple(a.shape)




def _times(shape) -> str:
    return "×".join(map(str, shape))


def _images(doc):
    """The input maps of a network that starts on an image: X (N×C×H×W), whether they came as
    `samples`, one sample's shape as written (H×W or C×H×W) and each sample's target item."""
    import numpy as np
    has_single = doc.has("input") or doc.has("target")
    batch = doc.has("samples")
    if batch and has_single:
        raise doc.get("input" if doc.has("input") else "target").error(
            "give either `input`/`target` or `samples`, not both")
    if not batch and not has_single:
        raise doc.error("missing field `input` and `target` (one sample), or `samples` "
                        "(a batch)")
    target_docs = []
    if not batch:
        if not doc.has("input"):
            raise doc.error("missing field `input`")
        x, input_shape = _image(doc["input"])
        target_docs.append(doc["target"] if doc.has("target") else None)
        return x.reshape((1,) + x.shape), False, input_shape, target_docs
    sd = doc["samples"]
    if sd.is_map:
        sd.keys(["inputs", "targets"], required=["inputs", "targets"])
        Xa = sd["inputs"].array(ndims=(3, 4), what="inputs (N×H×W or N×C×H×W, one image "
                                                   "per sample)")
        X = Xa if Xa.ndim == 4 else Xa.reshape((Xa.shape[0], 1) + Xa.shape[1:])
        return X, True, tuple(Xa.shape[1:]), target_docs
    items = sd.items()
    if not items:
        raise sd.error("expected at least one sample")
    xs = []
    input_shape = None
    for it in items:
        it.keys(["input", "target"], required=["input", "target"])
        x, shp = _image(it["input"])
        if input_shape is not None and shp != input_shape:
            raise it["input"].error(f"expected {_times(input_shape)} (as the first sample), got "
                                    f"{_times(shp)}")
        input_shape = shp
        xs.append(x)
        target_docs.append(it["target"])
    X = np.empty((len(xs),) + xs[0].shape,
                 dtype=object if all(x.dtype == object for x in xs) else float)
    for i, x in enumerate(xs):
        X[i] = x
    return X, True, input_shape, target_docs


def _image_targets(doc, batch, target_docs, loss, n_out, N):
    """Y (a row per sample) of a network that starts on an image."""
    import numpy as np
    if batch and doc["samples"].is_map:
        Yd = doc["samples"]["targets"]
        Y = _target_rows(Yd, loss, n_out)
        if Y.shape[1] != n_out:
            raise Yd.error(f"expected {n_out} columns (the output layer has {n_out} units), "
                           f"got {Y.shape[1]}")
        if N != Y.shape[0]:
            raise Yd.error(f"expected {N} rows (one per input), got {Y.shape[0]}")
        return Y
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
    return Y
