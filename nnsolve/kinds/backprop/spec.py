"""A backpropagation problem: a fully connected network, samples, a loss, an optimiser step."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...load.yamldoc import describe
from ...numbers import format_number
from ...ops.registry import losses
from ..common import Activation, choose_exact, parse_activation, to_mode

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

    @property
    def cnn(self) -> bool:
        """The network has conv, pool or flatten layers (its input is C×H×W maps)."""
        return any(l.type in ("conv", "pool", "flatten") for l in self.layers)


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
    bn_docs = []
    for i, ld in enumerate(layer_docs):
        if ld.is_map and ld.has("batchnorm"):
            from .batchnorm import parse_layer
            layers.append(parse_layer(ld, i, layers))
            bn_docs.append(ld)
            continue
        if not ld.is_map:
            raise ld.error(f"expected a layer: a mapping with `weights:` (and `activation:`, "
                           f"`bias:`), got {describe(ld.node)}")
        ld.keys(["weights", "bias", "activation"], required=["weights"])
        W = ld["weights"].array(ndims=(2,), what="a weight matrix (one row per unit)")
        b = None
        if ld.get("bias") is not None:
            b = ld["bias"].array(ndims=(0, 1), what="a bias vector").reshape(-1)
            if b.shape[0] != W.shape[0]:
                raise ld["bias"].error(f"expected {W.shape[0]} values (one per unit of layer "
                                       f"{i + 1}), got {b.shape[0]}")
        act = parse_activation(ld["activation"]) if ld.get("activation") is not None \
            else Activation("linear")
        if act.name == "softmax" and i != len(layer_docs) - 1:
            raise ld["activation"].error("softmax is for the output layer only")
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
    if bn_docs and X.shape[0] < 2:
        raise bn_docs[0]["batchnorm"].error(
            f"batch norm normalises over a batch: it needs at least 2 samples (`samples:`), "
            f"got {X.shape[0]}")
    _check_size(doc, layers, X.shape[0], steps)
    _check_loss_fits(doc, loss, layers, Y)

    arrays = [X, Y] + [l.W for l in layers] + [l.b for l in layers]
    exact = choose_exact(arrays)
    for l in layers:
        l.W = to_mode(l.W, exact)
        l.b = to_mode(l.b, exact) if l.b is not None else None
    return BackpropProblem(layers=layers, X=to_mode(X, exact), Y=to_mode(Y, exact), loss=loss,
                           learning_rate=lr, optimizer=optimizer, margin=margin, steps=steps,
                           batch=batch,
                           reduction=reduction,
                           regularization=reg, update_bias=update_bias, exact=exact, title=title,
                           where=_where(doc), loss_where=_where(doc["loss"]))


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
    out = layers[-1].activation.name
    if loss == "cross_entropy" and out != "softmax":
        raise doc["loss"].error(f"cross_entropy needs a softmax output layer (layer "
                                f"{len(layers)} is {out})")
    if loss == "binary_cross_entropy" and out != "sigmoid":
        raise doc["loss"].error(f"binary_cross_entropy needs a sigmoid output layer (layer "
                                f"{len(layers)} is {out})")
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
        Y = Yd.array(ndims=(1, 2), what="targets (one row per sample)")
        if Y.ndim == 1:
            if loss in CLASS_LOSSES and n_out > 1:
                Y = _onehot(Yd, Y, n_out)
            else:
                Y = Y.reshape(-1, 1) if n_out == 1 else Y.reshape(1, -1)
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
