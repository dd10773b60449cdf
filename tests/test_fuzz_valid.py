"""Fuzzing with VALID problems of every kind and option, and with broken copies of them (issue 12).

tests/test_fuzz.py mutates the example problems, and most of its mutants die in parsing. Here
hypothesis builds problems that are right by construction: backprop networks with every
activation, loss, batch, reduction, regularization, bias and step option; convolutions with
every padding form, stride, dilation, several channels and filters, bias, activation and
pooling; shape stacks of every layer type; regularize with whole, fractional and symbolic p;
pooling; and sheets of them, with numbers from small integers to fractions, decimals, saturating
and huge ones. Each is run through the command line in every format with random options.

- A valid problem must be solved (exit 0, JSON that parses, nothing on stderr) or refused for
  a reason its numbers give (beyond floating point); shapes and parameter counts, conv and pool
  output sizes, and the p-norm penalty are compared with independent formulas written here.
- A broken copy (one to three mutations of the valid one) must be solved or refused with one
  `Error:` line: never an internal error, a traceback or a warning.

NNSOLVE_FUZZ_EXAMPLES sets the examples per test (default 30: about two hundred runs in all,
seconds of CPU); run it by hand with, say, NNSOLVE_FUZZ_EXAMPLES=2000.
"""

import json
import math
import os
from fractions import Fraction

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli
from test_fuzz import _check, _mutate

EXAMPLES = int(os.environ.get("NNSOLVE_FUZZ_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

# refusals that a valid problem may meet: its numbers outgrow floating point
ALLOWED = ("is beyond ±1.8e308", "the loss is infinite", "outgrow floating point",
           "too large for a floating-point number")

# --- numbers ----------------------------------------------------------------------------------
small = st.one_of(st.integers(-4, 6), st.sampled_from([0.5, -0.25, 0.1, 1.5, -2.5, 0.01]))
exactish = st.one_of(small, st.sampled_from(["1/3", "-2/7", "5/6", "1e-3", "-3e-2", "0.125"]))
extreme = st.sampled_from([30, -800, 1e10, -1e10, 1e-300, "1e-200", 1e150, 37, -37, 1e300])
numbers = st.one_of(exactish, exactish, exactish, exactish, extreme)
positive = st.one_of(st.sampled_from([1, 2, 0.5, 0.1, 0.01, "1/3", 3]),
                     st.integers(1, 5))


def _value(x):
    """A number as the YAML a person writes: fractions and exponents as text."""
    return x


def matrix(rows, cols, elements=numbers):
    return st.lists(st.lists(elements, min_size=cols, max_size=cols), min_size=rows,
                    max_size=rows)


def vector(n, elements=numbers):
    return st.lists(elements, min_size=n, max_size=n)


# --- backprop ---------------------------------------------------------------------------------
HIDDEN = ["linear", "relu", "sigmoid", "tanh", "identity", "none",
          {"name": "leaky_relu", "alpha": 0.1}, "leaky_relu", {"name": "leaky_relu", "alpha": 0}]


@st.composite
def backprop_problems(draw):
    n_in = draw(st.integers(1, 3))
    L = draw(st.integers(1, 3))
    widths = [draw(st.integers(1, 3)) for _ in range(L)]
    loss = draw(st.sampled_from(["squared_error", "half_squared_error", "mse", "cross_entropy",
                                 "binary_cross_entropy"]))
    if loss == "cross_entropy":
        widths[-1] = draw(st.integers(2, 3))
        out_act = "softmax"
    elif loss == "binary_cross_entropy":
        out_act = "sigmoid"
    else:
        out_act = draw(st.sampled_from(HIDDEN + ["softmax"]))
    K = widths[-1]
    layers = []
    prev = n_in
    for i, w in enumerate(widths):
        layer = {"weights": draw(matrix(w, prev))}
        if draw(st.booleans()):
            layer["bias"] = draw(vector(w))
        layer["activation"] = out_act if i == L - 1 else draw(st.sampled_from(HIDDEN))
        layers.append(layer)
        prev = w

    def target():
        if loss == "cross_entropy":
            k = draw(st.integers(0, K - 1))
            return k if draw(st.booleans()) else [1 if j == k else 0 for j in range(K)]
        if loss == "binary_cross_entropy":
            return draw(vector(K, st.sampled_from([0, 1, 0.5, 0.25, "1/3"])))
        t = draw(vector(K))
        return t[0] if K == 1 and draw(st.booleans()) else t

    def inp():
        x = draw(vector(n_in))
        return x[0] if n_in == 1 and draw(st.booleans()) else x

    doc = {"kind": "backprop", "layers": layers, "loss": loss,
           "learning_rate": draw(positive)}
    if draw(st.booleans()):
        doc["title"] = draw(st.sampled_from(["A net", "1.2 Backprop", "Ünïcode ∂J/∂w"]))
    if draw(st.integers(0, 2)) == 0:
        doc["samples"] = [{"input": inp(), "target": target()}
                          for _ in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()):
            doc["reduction"] = draw(st.sampled_from(["mean", "sum"]))
    else:
        doc["input"], doc["target"] = inp(), target()
    if draw(st.integers(0, 3)) == 0:
        doc["regularization"] = {"p": draw(st.sampled_from([1, 2, 3, 0.5, "1/3", "3/2"])),
                                 "alpha": draw(st.sampled_from([0, 0.01, "1/10", 1]))}
    if draw(st.integers(0, 3)) == 0:
        doc["update_bias"] = False
    if draw(st.integers(0, 2)) == 0:
        doc["steps"] = draw(st.integers(1, 3))
    return doc


@st.composite
def cnn_backprop_problems(draw):
    """A network that starts on an image: conv, pool, global_avg_pool, batchnorm and
    activation layers on maps, flatten, then dense layers (with batch norms and activation
    layers between them), every loss, batches, steps, optimizers; returns (the problem, the
    layer types its JSON lists)."""
    C, H, W = draw(st.integers(1, 2)), draw(st.integers(2, 5)), draw(st.integers(2, 5))
    N = draw(st.integers(1, 3))
    layers, types = [], []
    shape = (C, H, W)
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["conv", "conv", "pool", "batchnorm", "activation",
                                     "global_avg_pool"]))
        c, h, w = shape
        if what == "conv":
            k = draw(st.integers(1, min(3, h, w)))
            F = draw(st.integers(1, 2))
            spec = {"kernels": [draw(st.lists(matrix(k, k), min_size=c, max_size=c))
                                for _ in range(F)]}
            stride = draw(st.integers(1, 2))
            spec["stride"] = stride
            pad = draw(st.sampled_from([0, 0, 1] + (["same"] if stride == 1 else [])))
            spec["padding"] = pad
            if draw(st.booleans()):
                spec["bias"] = draw(vector(F))
            if draw(st.integers(0, 3)) == 0:
                spec["mode"] = "convolution"
            p = (k - 1) if pad == "same" else 2 * pad
            item = {"conv": spec}
            if draw(st.booleans()):
                item["activation"] = draw(st.sampled_from(HIDDEN))
            layers.append(item)
            shape = (F, (h + p - k) // stride + 1, (w + p - k) // stride + 1)
        elif what == "pool":
            k = draw(st.integers(1, min(2, h, w)))
            layers.append({"pool": {"type": draw(st.sampled_from(["max", "avg"])), "size": k}})
            shape = (c, h // k, w // k)
        elif what == "batchnorm":
            if N * h * w < 2:
                continue
            layers.append("batchnorm")
        elif what == "activation":
            if not layers:
                continue
            layers.append({"activation": draw(st.sampled_from(HIDDEN))})
        else:
            layers.append("global_avg_pool")
            shape = (c, 1, 1)
        types.append(what)
    layers.append("flatten")
    types.append("flatten")
    n = shape[0] * shape[1] * shape[2]
    loss = draw(st.sampled_from(["squared_error", "mse", "cross_entropy",
                                 "binary_cross_entropy", "hinge"]))
    widths = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    K = draw(st.integers(2, 3)) if loss in ("cross_entropy", "hinge") else draw(st.integers(1, 2))
    widths.append(K)
    prev = n
    for i, width in enumerate(widths):
        last = i == len(widths) - 1
        item = {"weights": draw(matrix(width, prev))}
        if draw(st.booleans()):
            item["bias"] = draw(vector(width))
        item["activation"] = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid",
                              "hinge": "linear"}.get(loss, "linear") if last else \
            draw(st.sampled_from(HIDDEN))
        layers.append(item)
        types.append("dense")
        if not last and draw(st.integers(0, 2)) == 0:
            extra = draw(st.sampled_from(["batchnorm", "activation"]))
            if extra == "batchnorm" and N >= 2:
                layers.append("batchnorm")
                types.append("batchnorm")
            elif extra == "activation":
                layers.append({"activation": draw(st.sampled_from(HIDDEN))})
                types.append("activation")
        prev = width

    def target():
        if loss in ("cross_entropy", "hinge"):
            return draw(st.integers(0, K - 1))
        if loss == "binary_cross_entropy":
            return draw(vector(K, st.sampled_from([0, 1, 0.5])))
        return draw(vector(K))

    two_d = C == 1 and draw(st.booleans())      # one channel written H×W (every sample)

    def image():
        x = [draw(matrix(H, W)) for _ in range(C)]
        return x[0] if two_d else x

    doc = {"kind": "backprop", "layers": layers, "loss": loss,
           "learning_rate": draw(positive)}
    if N > 1 or draw(st.booleans()):
        doc["samples"] = [{"input": image(), "target": target()} for _ in range(N)]
    else:
        doc["input"], doc["target"] = image(), target()
    if draw(st.integers(0, 3)) == 0:
        doc["regularization"] = {"p": draw(st.sampled_from([1, 2, "1/2"])),
                                 "alpha": draw(st.sampled_from([0.01, "1/10"]))}
    if draw(st.integers(0, 3)) == 0:
        doc["update_bias"] = False
    if draw(st.integers(0, 2)) == 0:
        doc["steps"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 2)) == 0:
        doc["optimizer"] = draw(st.sampled_from([{"name": "adam"}, {"name": "sgd",
                                                  "momentum": 0.9}, {"name": "rmsprop"},
                                                 {"name": "adagrad"}, {"name": "adamw"}]))
    return doc, types


# --- conv -------------------------------------------------------------------------------------
def _conv_out(i, before, after, k, s, d):
    return (i + before + after - d * (k - 1) - 1) // s + 1


def _same(i, k, s, d):
    out = -(-i // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
    return total // 2, total - total // 2


@st.composite
def conv_problems(draw):
    C = draw(st.integers(0, 2))          # 0: an H×W input
    H, W = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    form = draw(st.sampled_from(["int", "pair", "sides", "same", "valid", "none"]))
    if form == "int":
        p = draw(st.integers(0, 2))
        padding, pads = p, ((p, p), (p, p))
    elif form == "pair":
        a, b = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        padding, pads = [a, b], ((a, a), (b, b))
    elif form == "sides":
        t = [draw(st.integers(0, 2)) for _ in range(4)]
        padding, pads = [[t[0], t[1]], [t[2], t[3]]], ((t[0], t[1]), (t[2], t[3]))
    elif form == "same":
        padding = "same"
        pads = (_same(H, kh, stride[0], dilation[0]), _same(W, kw, stride[1], dilation[1]))
    else:
        padding, pads = ("valid" if form == "valid" else None), ((0, 0), (0, 0))
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if H + sum(pads[0]) < eh or W + sum(pads[1]) < ew:       # no window fits: make it fit
        H, W = H + eh, W + ew
        if form == "same":
            pads = (_same(H, kh, stride[0], dilation[0]), _same(W, kw, stride[1], dilation[1]))
    channels = max(C, 1)

    def image(h, w):
        m = matrix(h, w)
        return draw(m) if C == 0 else [draw(m) for _ in range(C)]

    doc = {"kind": "conv", "input": image(H, W)}
    F = draw(st.integers(1, 2))
    kern = [draw(matrix(kh, kw)) if C == 0 else [draw(matrix(kh, kw)) for _ in range(C)]
            for _ in range(F)]
    if F == 1 and draw(st.booleans()):
        doc["kernel"] = kern[0]
        single = True
    else:
        doc["kernels"] = kern
        single = False
    if draw(st.booleans()):
        doc["stride"] = list(stride) if stride[0] != stride[1] or draw(st.booleans()) \
            else stride[0]
    elif stride != (1, 1):
        doc["stride"] = list(stride)
    if dilation != (1, 1) or draw(st.booleans()):
        doc["dilation"] = list(dilation)
    if padding is not None:
        doc["padding"] = padding
    if draw(st.booleans()):
        doc["mode"] = draw(st.sampled_from(["cross_correlation", "convolution"]))
    if draw(st.booleans()):
        doc["bias"] = draw(numbers) if F == 1 or draw(st.booleans()) else draw(vector(F))
    if draw(st.booleans()):
        doc["activation"] = draw(st.sampled_from(["relu", "sigmoid", "tanh", "linear",
                                                  {"name": "leaky_relu", "alpha": 0.2}]))
    Ho = _conv_out(H, *pads[0], kh, stride[0], dilation[0])
    Wo = _conv_out(W, *pads[1], kw, stride[1], dilation[1])
    if draw(st.booleans()) and Ho >= 1 and Wo >= 1:
        size = draw(st.integers(1, min(2, Ho, Wo)))
        pool = {"type": draw(st.sampled_from(["max", "avg"])), "size": size}
        if draw(st.booleans()):
            pool["stride"] = draw(st.integers(1, 2))
        if size >= 2 and draw(st.booleans()):
            pool["padding"] = 1
        doc["pool"] = pool
    shape = [Ho, Wo] if single else [F, Ho, Wo]
    del channels
    return doc, shape


# --- shape ------------------------------------------------------------------------------------
@st.composite
def shape_problems(draw):
    """A stack that fits, with its output shape and parameter count computed here."""
    C, H, W = draw(st.integers(1, 4)), draw(st.integers(4, 40)), draw(st.integers(4, 40))
    doc_input = [C, H, W] if draw(st.booleans()) else f"{C}x{H}x{W}"
    layers, params = [], 0
    flat = None
    for _ in range(draw(st.integers(1, 6))):
        if flat is not None:
            what = draw(st.sampled_from(["dense", "relu", "dropout"]))
        else:
            what = draw(st.sampled_from(["conv", "pool", "conv_transpose", "relu", "sigmoid",
                                         "batchnorm", "flatten", "global_avg_pool", "tanh"]))
        if what == "conv":
            k = draw(st.integers(1, 3))
            s = draw(st.integers(1, 2))
            p = draw(st.integers(0, 1))
            if H + 2 * p < k or W + 2 * p < k:
                continue
            f = draw(st.integers(1, 8))
            bias = draw(st.booleans())
            spec = {"filters": f, "kernel": k, "stride": s, "padding": p}
            if not bias:
                spec["bias"] = False
            layers.append({"conv": spec})
            params += f * (C * k * k + (1 if bias else 0))
            C, H, W = f, (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
        elif what == "conv_transpose":
            k, s = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            f = draw(st.integers(1, 4))
            layers.append({"conv_transpose": {"filters": f, "kernel": k, "stride": s}})
            params += f * C * k * k + f
            C, H, W = f, (H - 1) * s + k, (W - 1) * s + k
        elif what == "pool":
            k = draw(st.integers(1, 2))
            if H < k or W < k:
                continue
            layers.append({"pool": {"type": draw(st.sampled_from(["max", "avg"])), "size": k}})
            H, W = (H - k) // k + 1, (W - k) // k + 1
        elif what == "batchnorm":
            layers.append("batchnorm")
            params += 2 * C
        elif what == "global_avg_pool":
            layers.append("global_avg_pool")
            H = W = 1
        elif what == "flatten":
            layers.append("flatten")
            flat = C * H * W
        elif what == "dense":
            u = draw(st.integers(1, 10))
            bias = draw(st.booleans())
            spec = {"units": u} if bias else {"units": u, "bias": False}
            layers.append({"dense": spec})
            params += u * flat + (u if bias else 0)
            flat = u
        else:
            layers.append(what)
        if H > 2000 or W > 2000:
            break
    if not layers:
        layers = ["relu"]
    out = [flat] if flat is not None else [C, H, W]
    return {"kind": "shape", "input": doc_input, "layers": layers}, out, params


# --- regularize and pool ------------------------------------------------------------------------
@st.composite
def regularize_problems(draw):
    p = draw(st.sampled_from([1, 2, 3, 4, 0.5, "1/3", "3/2", 2.5, "p", None, 256]))
    doc = {"kind": "regularize"}
    if p is not None:
        doc["p"] = p
    if draw(st.booleans()) or p not in ("p", None):
        doc["alpha"] = draw(st.sampled_from([0, 0.1, "1/3", 1, 0.01]))
    shape = draw(st.sampled_from([(3,), (1,), (2, 2), (1, 3)]))
    elements = numbers if p != 256 else exactish
    if p not in ("p", None) and draw(st.integers(0, 4)) > 0:
        w = draw(vector(shape[0], elements)) if len(shape) == 1 else \
            draw(matrix(shape[0], shape[1], elements))
        doc["weights"] = w
        if draw(st.booleans()):
            doc["loss_gradient"] = draw(vector(shape[0])) if len(shape) == 1 else \
                draw(matrix(*shape))
        if draw(st.booleans()):
            doc["learning_rate"] = draw(positive)
    return doc


@st.composite
def pool_problems(draw):
    C = draw(st.integers(0, 2))
    size = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    H, W = draw(st.integers(size[0], 6)), draw(st.integers(size[1], 6))
    m = matrix(H, W)
    doc = {"kind": "pool", "input": draw(m) if C == 0 else [draw(m) for _ in range(C)],
           "type": draw(st.sampled_from(["max", "avg"])),
           "size": list(size) if size[0] != size[1] or draw(st.booleans()) else size[0]}
    if draw(st.booleans()):
        doc["stride"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        doc["padding"] = draw(st.integers(0, min(size) // 2))
    if draw(st.booleans()):
        doc["ceil_mode"] = draw(st.booleans())
    return doc


# --- running ---------------------------------------------------------------------------------
def _dump(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _run(tmp_path, doc, data, command=None, extra_options=()):
    path = tmp_path / "problem.yaml"
    text = _dump(doc)
    path.write_text(text, encoding="utf-8")
    fmt = data.draw(st.sampled_from(["json", "json", "text", "markdown", "latex"]))
    opts = data.draw(st.lists(st.sampled_from(["--exact", "--detail=full", "--detail=summary",
                                               "--precision=3", "--precision=17",
                                               *extra_options]), max_size=2, unique=True))
    cmd = command or data.draw(st.sampled_from([doc.get("kind", "solve"), "solve"]))
    r = CliRunner().invoke(cli, [cmd, str(path), "--format", fmt, *opts])
    return r, fmt, f"nnsolve {cmd} --format {fmt} {' '.join(opts)} with:\n{text}"


def _solved(r, fmt, what):
    """A valid problem: solved, or refused because its numbers outgrow floating point."""
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (what, r.stderr)
    assert "Warning" not in r.stderr, (what, r.stderr)
    if r.exit_code != 0:
        _check(r, fmt, what)
        assert r.exit_code == 1 and any(a in r.stderr for a in ALLOWED), (what, r.stderr)
        return None
    assert r.stderr == "", (what, r.stderr)
    assert r.stdout.strip(), what
    if fmt == "json":
        return json.loads(r.stdout)
    return None


def _broken(tmp_path, doc, data):
    """One to three mutations of a valid problem: solved or one clean Error: line."""
    command = data.draw(st.sampled_from([doc["kind"], "solve"]))
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(data, doc)
    r, fmt, what = _run(tmp_path, doc, data, command)
    _check(r, fmt, what)
    assert "Warning" not in r.stderr, (what, r.stderr)


@SETTINGS
@given(data=st.data(), doc=backprop_problems())
def test_valid_backprop_problems_are_solved(tmp_path_factory, data, doc):
    tmp = tmp_path_factory.mktemp("bp")
    r, fmt, what = _run(tmp, doc, data, extra_options=["--verify"])
    out = _solved(r, fmt, what)
    if out is not None:
        steps = out["steps"]
        assert len(steps) == doc.get("steps", 1), what
        for step in steps:
            assert math.isfinite(step["loss"]), what
            assert [len(l["W"]) for l in step["layers"]] == \
                [len(l["weights"]) for l in doc["layers"]], what


@SETTINGS
@given(data=st.data(), made=cnn_backprop_problems())
def test_valid_cnn_backprop_problems_are_solved(tmp_path_factory, data, made):
    doc, types = made
    tmp = tmp_path_factory.mktemp("cnn")
    r, fmt, what = _run(tmp, doc, data, extra_options=["--verify"])
    out = _solved(r, fmt, what)
    if out is not None:
        assert len(out["steps"]) == doc.get("steps", 1), what
        for step in out["steps"]:
            assert math.isfinite(step["loss"]), what
            assert [l["type"] for l in step["layers"]] == types, what
            x = doc["samples"][0]["input"] if "samples" in doc else doc["input"]
            dx = step["dJ_dx"][0] if "samples" in doc else step["dJ_dx"]
            assert _shape_of(dx) == _shape_of(x), what
    _broken(tmp, doc, data)


def _shape_of(x):
    shape = []
    while isinstance(x, list):
        shape.append(len(x))
        x = x[0]
    return shape


@SETTINGS
@given(data=st.data(), made=conv_problems())
def test_valid_conv_problems_are_solved(tmp_path_factory, data, made):
    doc, shape = made
    r, fmt, what = _run(tmp_path_factory.mktemp("conv"), doc, data)
    out = _solved(r, fmt, what)
    if out is not None:
        assert out["output_shape"] == shape, what


@SETTINGS
@given(data=st.data(), made=shape_problems())
def test_valid_shape_problems_match_the_formulas(tmp_path_factory, data, made):
    doc, shape, params = made
    r, fmt, what = _run(tmp_path_factory.mktemp("shape"), doc, data)
    out = _solved(r, fmt, what)
    if out is not None:
        assert out["output_shape"] == shape, what
        assert out["total_parameters"] == params, what


@SETTINGS
@given(data=st.data(), doc=regularize_problems())
def test_valid_regularize_problems_match_the_penalty(tmp_path_factory, data, doc):
    r, fmt, what = _run(tmp_path_factory.mktemp("reg"), doc, data)
    out = _solved(r, fmt, what)
    if out is not None and doc.get("weights") is not None:
        p, alpha = Fraction(str(doc["p"])), Fraction(str(doc.get("alpha", 0)))
        flat = [Fraction(str(v)) for row in doc["weights"]
                for v in (row if isinstance(row, list) else [row])]
        try:
            want = float(alpha) * math.fsum(abs(float(v)) ** float(p) for v in flat)
        except OverflowError:
            want = math.inf
        if math.isfinite(want) and want < 1e300:
            assert math.isclose(out["penalty"], want, rel_tol=1e-9, abs_tol=1e-300), \
                (what, out["penalty"], want)


@SETTINGS
@given(data=st.data(), doc=pool_problems())
def test_valid_pool_problems_are_solved(tmp_path_factory, data, doc):
    r, fmt, what = _run(tmp_path_factory.mktemp("pool"), doc, data)
    _solved(r, fmt, what)


@SETTINGS
@given(data=st.data(), parts=st.lists(st.one_of(backprop_problems(), regularize_problems(),
                                                pool_problems(),
                                                conv_problems().map(lambda m: m[0]),
                                                shape_problems().map(lambda m: m[0])),
                                      min_size=1, max_size=3))
def test_valid_sheets_are_solved(tmp_path_factory, data, parts):
    doc = {"kind": "sheet", "title": "A sheet", "problems": parts}
    r, fmt, what = _run(tmp_path_factory.mktemp("sheet"), doc, data, command="solve")
    out = _solved(r, fmt, what)
    if out is not None:
        assert [p["kind"] for p in out] == [p["kind"] for p in parts], what


@SETTINGS
@given(data=st.data(), doc=st.one_of(backprop_problems(), regularize_problems(),
                                     pool_problems(), conv_problems().map(lambda m: m[0]),
                                     shape_problems().map(lambda m: m[0])))
def test_broken_copies_of_valid_problems_fail_cleanly(tmp_path_factory, data, doc):
    _broken(tmp_path_factory.mktemp("broken"), doc, data)
