"""Batch norm after a conv or pool layer (per channel over N, H, W), inside backprop problems.

Against an independent batch-level reference written here in plain Python loops over n, c, i, j
(the forward pass per channel; the backward by the compact formula
∂J/∂x = γ/(m·σ) · (m·∂J/∂y − Σ∂J/∂y − x̂·Σ∂J/∂y·x̂), a different derivation from nnsolve's three
paths), the conv, pool, flatten and dense layers of tests/cnn_reference.py, torch.optim's rules
of tests/torch_reference.py; and central finite differences of the whole network's J with
respect to γ, β, the kernels and the input, on hypothesis-random CNNs."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import yaml
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st

import cnn_reference as ref
from torch_reference import optimizer_run

from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import render
from nnsolve.solve import SolveOptions, solve

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")


# --- the reference: a batch through the network, in loops ---------------------------------------

def bn_forward(L, xs):
    """Batch norm of a batch ``xs`` (N lists of C×H×W maps, or of D-vectors): y and the cache."""
    g, b, eps = L["gamma"], L["beta"], L["eps"]
    N = len(xs)
    if not isinstance(xs[0][0], list):            # vectors: per unit over the N samples
        D = len(xs[0])
        mean = [sum(xs[n][d] for n in range(N)) / N for d in range(D)]
        var = [sum((xs[n][d] - mean[d]) ** 2 for n in range(N)) / N for d in range(D)]
        xh = [[(xs[n][d] - mean[d]) / math.sqrt(var[d] + eps) for d in range(D)]
              for n in range(N)]
        y = [[g[d] * xh[n][d] + b[d] for d in range(D)] for n in range(N)]
        return y, {"mean": mean, "var": var, "x_hat": xh}
    C, H, W = len(xs[0]), len(xs[0][0]), len(xs[0][0][0])
    m = N * H * W
    mean, var = [], []
    for c in range(C):
        t = 0.0
        for n in range(N):
            for i in range(H):
                for j in range(W):
                    t += xs[n][c][i][j]
        mean.append(t / m)
        t = 0.0
        for n in range(N):
            for i in range(H):
                for j in range(W):
                    t += (xs[n][c][i][j] - mean[c]) ** 2
        var.append(t / m)
    xh = [[[[(xs[n][c][i][j] - mean[c]) / math.sqrt(var[c] + eps) for j in range(W)]
            for i in range(H)] for c in range(C)] for n in range(N)]
    y = [[[[g[c] * xh[n][c][i][j] + b[c] for j in range(W)] for i in range(H)]
           for c in range(C)] for n in range(N)]
    return y, {"mean": mean, "var": var, "x_hat": xh}


def bn_backward(L, cache, gs):
    """(∂J/∂x, ∂J/∂γ, ∂J/∂β) from ∂J/∂y, by the compact formula."""
    g, eps = L["gamma"], L["eps"]
    xh, var = cache["x_hat"], cache["var"]
    N = len(gs)
    if not isinstance(gs[0][0], list):
        D = len(gs[0])
        dg = [sum(gs[n][d] * xh[n][d] for n in range(N)) for d in range(D)]
        db = [sum(gs[n][d] for n in range(N)) for d in range(D)]
        dx = [[g[d] / (N * math.sqrt(var[d] + eps)) * (N * gs[n][d] - db[d] - xh[n][d] * dg[d])
               for d in range(D)] for n in range(N)]
        return dx, dg, db
    C, H, W = len(gs[0]), len(gs[0][0]), len(gs[0][0][0])
    m = N * H * W
    dg, db = [0.0] * C, [0.0] * C
    for n in range(N):
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    dg[c] += gs[n][c][i][j] * xh[n][c][i][j]
                    db[c] += gs[n][c][i][j]
    dx = [[[[g[c] / (m * math.sqrt(var[c] + eps))
             * (m * gs[n][c][i][j] - db[c] - xh[n][c][i][j] * dg[c]) for j in range(W)]
            for i in range(H)] for c in range(C)] for n in range(N)]
    return dx, dg, db


def run(net, X, Y, loss, reduction="mean", reg=None):
    """J, the per-layer records (input, pre-activation, output, BN cache) and the gradients
    {name: grad} per layer, and ∂J/∂x per sample."""
    hs = X
    recs = []
    for L in net:
        if L["type"] == "batchnorm":
            out, cache = bn_forward(L, hs)
            recs.append((hs, None, out, cache))
        else:
            tr = [ref.sample_forward([L], h)[0] for h in hs]
            recs.append((hs, [t[1] for t in tr], [t[2] for t in tr], None))
        hs = recs[-1][2]
    c = 1 / len(X) if reduction == "mean" else 1.0
    J, gs = 0.0, []
    for y, p in zip(Y, hs):
        Js, g = ref.loss_and_grad(loss, y, p)
        J += c * Js
        gs.append([c * v for v in g])
    grads = [None] * len(net)
    dJ_dh = [None] * len(net)
    for li in range(len(net) - 1, -1, -1):
        L, (xs, As, _, cache) = net[li], recs[li]
        dJ_dh[li] = gs
        t = L["type"]
        if t == "batchnorm":
            gs, dg, db = bn_backward(L, cache, gs)
            grads[li] = {"gamma": dg, "beta": db}
            continue
        G = {}
        new = []
        for n in range(len(xs)):
            g = gs[n]
            if t == "conv":
                if not (li == len(net) - 1 and loss == "cross_entropy"):
                    g = ref.zip_apply(lambda gv, av: gv * ref.act_df(L["act"], av), g, As[n])
                dK, dbias, gin = ref.conv_backward(L, xs[n], g)
                G["K"] = dK if "K" not in G else ref.zip_apply(lambda a, b: a + b, G["K"], dK)
                if L["b"] is not None:
                    G["b"] = dbias if "b" not in G else [a + b for a, b in zip(G["b"], dbias)]
            elif t == "pool":
                gin = ref.pool_backward(L, xs[n], g)
            elif t == "flatten":
                gin = ref.unflat(g, xs[n])
            else:
                if not (li == len(net) - 1 and loss == "cross_entropy"):
                    g = [g[j] * ref.act_df(L["act"], As[n][j]) for j in range(len(g))]
                Wm = L["W"]
                dW = [[g[j] * xs[n][k] for k in range(len(Wm[0]))] for j in range(len(Wm))]
                G["W"] = dW if "W" not in G else ref.zip_apply(lambda a, b: a + b, G["W"], dW)
                if L["b"] is not None:
                    G["b"] = list(g) if "b" not in G else [a + b for a, b in zip(G["b"], g)]
                gin = [sum(g[j] * Wm[j][k] for j in range(len(Wm))) for k in range(len(Wm[0]))]
            new.append(gin)
        grads[li] = G
        gs = new
    if reg:
        p, alpha = reg
        for L, G in zip(net, grads):
            name = {"conv": "K", "dense": "W"}.get(L["type"])
            if name is None:
                continue
            for w in ref._weights(L):
                J += alpha * abs(w) ** p
            G[name] = ref.zip_apply(lambda gv, w: gv + (alpha * p * abs(w) ** (p - 1)
                                                         * math.copysign(1, w) if w else 0.0),
                                    G[name], L[name])
    return J, recs, grads, dJ_dh, gs


def J_of(net, X, Y, loss, reduction="mean", reg=None):
    return run(net, X, Y, loss, reduction, reg)[0]


PARAMS = {"conv": ("K", "b"), "dense": ("W", "b"), "batchnorm": ("gamma", "beta")}


def slots(net, update_bias=True):
    """(layer, name, flat index) of every parameter scalar, in a fixed order."""
    out = []
    for li, L in enumerate(net):
        for name in PARAMS.get(L["type"], ()):
            if L.get(name) is None or (name == "b" and not update_bias):
                continue
            out += [(li, name, k) for k in range(len(flat(L[name])))]
    return out


def flat(v):
    return [x for e in v for x in flat(e)] if isinstance(v, list) else [v]


def unflat_like(values, like):
    it = iter(values)

    def build(v):
        return [build(e) for e in v] if isinstance(v, list) else next(it)
    return build(like)


def with_params(net, sl, theta):
    net = [dict(L) for L in net]
    by = {}
    for (li, name, k), v in zip(sl, theta):
        by.setdefault((li, name), {})[k] = v
    for (li, name), vals in by.items():
        cur = flat(net[li][name])
        for k, v in vals.items():
            cur[k] = v
        net[li][name] = unflat_like(cur, net[li][name])
    return net


# --- random networks with a batch norm after a conv or a pool -------------------------------

_v = st.integers(-20, 20).map(lambda k: k / 8)


def _network_on(data, shape):
    """A random network on C×H×W inputs: [batchnorm] → conv (channels, filters, stride,
    padding, activation) → [pool], a batch norm after the conv or after the pool (γ and β
    given, defaulted, or `- batchnorm` alone), flatten → [a per-unit batch norm] → dense
    layers. Returns the YAML items, the reference's layers, the loss and the output size."""
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 10 ** 6)))
    items, net = [], []
    plan = ["conv"] + (["pool"] if draw(st.booleans()) else [])
    plan.insert(draw(st.integers(1, len(plan))), "batchnorm")
    if draw(st.integers(0, 4)) == 0:             # a batch norm on the input itself
        plan.insert(0, "batchnorm")
    for kind in plan:
        C, H, W = shape
        if kind == "batchnorm":
            g = [draw(st.sampled_from([0.5, 1.0, 1.5, -1.0, 2.0])) for _ in range(C)]
            b = [draw(st.sampled_from([0.0, 0.25, -0.5, 1.0])) for _ in range(C)]
            eps = draw(st.sampled_from([1e-5, 0.001, 0.1]))
            form = draw(st.integers(0, 2))
            if form == 0:
                items.append({"batchnorm": {"gamma": g, "beta": b, "epsilon": eps}})
            elif form == 1:            # PyTorch's initial γ = 1, β = 0
                g, b = [1.0] * C, [0.0] * C
                items.append({"batchnorm": {"epsilon": eps}})
            else:
                g, b, eps = [1.0] * C, [0.0] * C, 1e-5
                items.append("batchnorm")
            net.append({"type": "batchnorm", "gamma": g, "beta": b, "eps": eps})
        elif kind == "conv":
            F = draw(st.integers(1, 2))
            kh, kw = draw(st.integers(1, min(2, H))), draw(st.integers(1, min(2, W)))
            stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
            p = draw(st.integers(0, 1))
            pads = ((p, p), (p, p))
            act = draw(st.sampled_from(["linear", "relu", "tanh"]))
            K = (rng.integers(-8, 9, size=(F, C, kh, kw)) / 4).tolist()
            bias = (rng.integers(-2, 3, size=F) / 2).tolist() if draw(st.booleans()) else None
            conv = {"kernels": K, "stride": list(stride), "padding": p}
            if bias is not None:
                conv["bias"] = bias
            items.append({"conv": conv, "activation": act})
            net.append({"type": "conv", "K": K, "b": bias, "stride": stride, "pads": pads,
                        "dil": (1, 1), "mode": "cross_correlation", "act": act})
            shape = (F, ref.conv_size(H, pads[0], kh, stride[0], 1),
                     ref.conv_size(W, pads[1], kw, stride[1], 1))
        else:
            size = (draw(st.integers(1, min(2, H))), draw(st.integers(1, min(2, W))))
            ptype = draw(st.sampled_from(["max", "avg"]))
            items.append({"pool": {"type": ptype, "size": list(size)}})
            net.append({"type": "pool", "ptype": ptype, "size": size, "stride": size,
                        "pads": ((0, 0), (0, 0)), "ceil": False})
            shape = (C, ref.pool_size(H, (0, 0), size[0], size[0], False),
                     ref.pool_size(W, (0, 0), size[1], size[1], False))
    items.append("flatten")
    net.append({"type": "flatten"})
    n = int(np.prod(shape))
    loss = draw(st.sampled_from(["squared_error", "cross_entropy", "mse"]))
    K_out = draw(st.integers(2, 3)) if loss == "cross_entropy" else draw(st.integers(1, 2))
    if draw(st.integers(0, 3)) == 0:        # a per-unit batch norm on the flattened vector
        g = [draw(st.sampled_from([0.5, 1.0, 2.0])) for _ in range(n)]
        items.append({"batchnorm": {"gamma": g, "beta": [0.0] * n}})
        net.append({"type": "batchnorm", "gamma": g, "beta": [0.0] * n, "eps": 1e-5})
    sizes = [n] + ([draw(st.integers(1, 3))] if draw(st.booleans()) else []) + [K_out]
    for li, (a, b) in enumerate(zip(sizes, sizes[1:])):
        last = li == len(sizes) - 2
        act = ("softmax" if loss == "cross_entropy" else "linear") if last else "tanh"
        Wd = (rng.integers(-4, 5, size=(b, a)) / 4).tolist()
        bd = (rng.integers(-2, 3, size=b) / 2).tolist() if draw(st.booleans()) else None
        item = {"weights": Wd, "activation": act}
        if bd is not None:
            item["bias"] = bd
        items.append(item)
        net.append({"type": "dense", "W": Wd, "b": bd, "act": act})
    return items, net, loss, K_out


def shapes_through(net, shape):
    """The input shape of every layer (C, H, W) or (D,)."""
    out = []
    for L in net:
        out.append(shape)
        t = L["type"]
        if t == "conv":
            F, kh, kw = len(L["K"]), len(L["K"][0][0]), len(L["K"][0][0][0])
            shape = (F, ref.conv_size(shape[1], L["pads"][0], kh, L["stride"][0], 1),
                     ref.conv_size(shape[2], L["pads"][1], kw, L["stride"][1], 1))
        elif t == "pool":
            shape = (shape[0],) + tuple(ref.pool_size(s, (0, 0), k, k, False)
                                        for s, k in zip(shape[1:], L["size"]))
        elif t == "flatten":
            shape = (int(np.prod(shape)),)
        elif t == "dense":
            shape = (len(L["W"]),)
    return out


def yaml_text(items, X, Y, loss, steps, extra):
    doc = {"kind": "backprop", "layers": items, "loss": loss, "steps": steps}
    doc.update(extra)
    if len(X) == 1:
        doc["input"], doc["target"] = X[0], Y[0]
    else:
        doc["samples"] = [{"input": x, "target": y} for x, y in zip(X, Y)]
    return yaml.safe_dump(doc)


def solve_text(text, **opts):
    from nnsolve.kinds.backprop.spec import parse
    return solve(parse(doc_from_text(text, "t.yaml")), SolveOptions(**opts))


def close(a, b, tol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol)


def kink_free(net, recs, margin=1e-4):
    """No ReLU input and no max-pool tie within ``margin`` (the finite differences and the
    float reference would straddle a kink there)."""
    for L, (xs, As, _, _) in zip(net, recs):
        if L.get("act") == "relu" and As is not None:
            if min(abs(v) for v in flat(As)) < margin:
                return False
        if L["type"] == "pool" and L["ptype"] == "max":
            for x in xs:
                _, _, wins = ref.pool_windows(L, len(x[0]), len(x[0][0]))
                for c in range(len(x)):
                    for cells in wins.values():
                        v = sorted((x[c][r][q] for r, q in cells), reverse=True)
                        if len(v) > 1 and v[0] - v[1] < margin:
                            return False
    return True


OPTIMIZERS = [None, ("sgd", {"lr": 0.1, "momentum": 0.9}), ("adam", {"lr": 0.05}),
              ("rmsprop", {"lr": 0.01, "weight_decay": 0.1})]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_random_cnns_with_batch_norm_against_the_loops_and_finite_differences(data):
    C = data.draw(st.integers(1, 2))
    H, W = data.draw(st.integers(2, 5)), data.draw(st.integers(2, 5))
    items, net, loss, K_out = _network_on(data, (C, H, W))
    shapes = shapes_through(net, (C, H, W))
    # N = 1 is enough when every batch norm on maps has more than one cell (BatchNorm2d's
    # rule); a per-unit batch norm needs 2 samples
    need2 = any(L["type"] == "batchnorm" and (len(s) == 1 or s[1] * s[2] < 2)
                for L, s in zip(net, shapes))
    N = data.draw(st.integers(2 if need2 else 1, 3))
    for L, prev in zip(net[1:], net):
        if L["type"] == "batchnorm":
            event(f"batch norm after {prev['type']}")
    if net[0]["type"] == "batchnorm":
        event("batch norm on the input")
    event(f"N = {N}")
    X = [[[[data.draw(_v) for _ in range(W)] for _ in range(H)] for _ in range(C)]
         for _ in range(N)]
    if loss == "cross_entropy":
        Y = [[1.0 if k == data.draw(st.integers(0, K_out - 1)) else 0.0 for k in range(K_out)]
             for _ in range(N)]
        Y = [y if sum(y) == 1 else [1.0] + [0.0] * (K_out - 1) for y in Y]
    else:
        Y = [[data.draw(_v) for _ in range(K_out)] for _ in range(N)]
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    reg = data.draw(st.sampled_from([None, (2, 0.01)]))
    steps = data.draw(st.integers(1, 2))
    opt = data.draw(st.sampled_from(OPTIMIZERS))
    event(f"optimizer {opt and opt[0]}")
    update_bias = data.draw(st.booleans())
    extra = {"reduction": reduction, "update_bias": update_bias}
    if reg:
        extra["regularization"] = {"p": reg[0], "alpha": reg[1]}
    if opt is None:
        extra["learning_rate"] = 0.1
    else:
        extra["optimizer"] = {"name": opt[0], "learning_rate": opt[1]["lr"],
                              **{k: v for k, v in opt[1].items() if k != "lr"}}
    J0, recs, grads0, _, _ = run(net, X, Y, loss, reduction, reg)
    assume(kink_free(net, recs))
    sl = slots(net, update_bias)
    # a bias right before a batch norm (with a linear activation between) has gradient 0, as
    # the batch norm subtracts it with its channel's mean; in floating point it is rounding
    # noise (~1e-13) of either computation, which Adam and RMSprop scale up to a step (g/√v):
    # those parameters are not compared after an adaptive step, and one step is taken
    noise = {s_ for s_ in sl if abs(flat(grads0[s_[0]][s_[1]])[s_[2]]) < 1e-9 * max(1, abs(J0))}
    adaptive = opt is not None and opt[0] in ("adam", "rmsprop")
    if adaptive:
        # that noise is larger where a channel's variance is near 0 (the batch norm scales it
        # by 1/√(σ² + ε), up to 316): 1e-6 met in a run, and an adaptive step makes of such a
        # g ±η·g/(√v + ε), ill-conditioned where √v is near ε (its derivative η·ε/(√v + ε)²
        # is 10⁵ at |g| ≈ 10⁻⁷: θ moved 1.5e-7 apart). Gradients (with the weight decay) below
        # 1e-5 are compared as the noise ones are.
        decay = opt[1].get("weight_decay", 0)
        theta = {s_: flat(net[s_[0]][s_[1]])[s_[2]] for s_ in sl}
        noise |= {s_ for s_ in sl
                  if abs(flat(grads0[s_[0]][s_[1]])[s_[2]] + decay * theta[s_]) < 1e-5}
    if adaptive and noise:
        steps = 1
    else:
        noise = set()
    text = yaml_text(items, X, Y, loss, steps, extra)
    out = json.loads(render(solve_text(text), "json"))

    # the reference's steps: gradients in loops, the update by torch.optim's rule
    theta0 = [v for li, name, k in sl for v in [flat(net[li][name])[k]]]
    nets = [net]

    def grad_at(theta):
        cur = with_params(net, sl, theta)
        nets.append(cur)
        _, _, grads, _, _ = run(cur, X, Y, loss, reduction, reg)
        return [flat(grads[li][name])[k] for li, name, k in sl]
    if opt is None:
        trail = optimizer_run("sgd", {"lr": 0.1}, theta0, [grad_at] * steps)
    else:
        trail = optimizer_run(opt[0], opt[1], theta0, [grad_at] * steps)
    batch = N > 1
    for k in range(steps):
        cur = nets[k + 1]           # the parameters of step k + 1
        J, recs, grads, dJ_dh, dx = run(cur, X, Y, loss, reduction, reg)
        if k and not kink_free(cur, recs):
            break
        step = out["steps"][k]
        assert math.isclose(step["loss"], J, rel_tol=1e-9, abs_tol=1e-9)
        assert close(step["dJ_dx"], dx if batch else dx[0], 1e-8)
        for li, (L, got) in enumerate(zip(cur, step["layers"])):
            assert got["type"] == L["type"]
            one = (lambda v: v) if batch else (lambda v: v[0])
            if L["type"] == "batchnorm":
                cache = recs[li][3]
                assert close(got["gamma"], L["gamma"]) and close(got["beta"], L["beta"])
                assert close(got["mean"], cache["mean"]) and close(got["var"], cache["var"])
                assert close(got["x_hat"], one(cache["x_hat"]), 1e-8)
                assert close(got["h"], one(recs[li][2]), 1e-8)
                assert close(got["dJ_dh"], one(dJ_dh[li]), 1e-8)
                assert close(got["dJ_dgamma"], grads[li]["gamma"], 1e-8)
                assert close(got["dJ_dbeta"], grads[li]["beta"], 1e-8)
                # β is updated even with update_bias: false
                assert ("beta", li) in {(n, i) for i, n, _ in sl}
            elif L["type"] == "conv":
                assert close(got["dJ_dK"], grads[li]["K"], 1e-8)
                if L["b"] is not None:
                    assert close(got["dJ_db"], grads[li]["b"], 1e-8)
            elif L["type"] == "dense":
                assert close(got["dJ_dW"], grads[li]["W"], 1e-8)
        # the new parameters, and the optimizer's state
        theta_new, state = trail[k]
        ours, keep = [], [i for i, s_ in enumerate(sl) if s_ not in noise]
        for li, name, kk in sl:
            key = {"K": "K_new", "W": "W_new", "b": "b_new", "gamma": "gamma_new",
                   "beta": "beta_new"}[name]
            ours.append(flat(step["layers"][li][key])[kk])
        assert close([ours[i] for i in keep], [theta_new[i] for i in keep], 1e-8)
        if opt is not None:
            for sname, v in state.items():
                if sname == "step":
                    continue
                mine = [flat(step["layers"][li]["state"][name][sname])[kk]
                        for li, name, kk in sl]
                assert close([mine[i] for i in keep], [v[i] for i in keep], 1e-8), sname

    # central differences of the whole network's J (the reference's forward pass only)
    # with respect to γ, β, every kernel weight and every input value, at step 1
    step = out["steps"][0]
    atol = 1e-6 * max(1.0, abs(J0))
    for li, L in enumerate(net):
        for name, key in (("gamma", "dJ_dgamma"), ("beta", "dJ_dbeta"), ("K", "dJ_dK")):
            if L.get(name) is None or L["type"] not in ("batchnorm", "conv"):
                continue
            vals = flat(L[name])
            where = [(li, name, i) for i in range(len(vals))]
            fd, err = central_differences(
                lambda th: J_of(with_params(net, where, th), X, Y, loss, reduction, reg), vals)
            assert_agrees(flat(step["layers"][li][key]), fd, err, atol, (name, li))
    flatX = flat(X)
    fd, err = central_differences(
        lambda xs: J_of(net, unflat_like(xs, X), Y, loss, reduction, reg), flatX)
    assert_agrees(flat(step["dJ_dx"]), fd, err, atol, "x")


def central_differences(J, vals, h=1e-6):
    """∂J/∂vₖ by central differences at step h, and an estimate of their own error: the
    difference from the same at step 2h (the truncation error grows as h², so the h-step error
    is about a third of it). A batch norm whose channel varies little (σ² near ε) curves sharply,
    and there the central difference at any fixed step is off by more than a fixed tolerance."""
    def at(k, step):
        th = list(vals)
        th[k] = vals[k] + step
        up = J(th)
        th[k] = vals[k] - step
        return (up - J(th)) / (2 * step)
    fd, err = [], []
    for k in range(len(vals)):
        d1, d2 = at(k, h), at(k, 2 * h)
        fd.append(d1)
        err.append(abs(d2 - d1))
    return fd, err


def assert_agrees(got, fd, err, atol, what):
    """nnsolve's gradient equals the central difference within 1e-5 (relative), atol, and the
    central difference's own estimated error."""
    got, fd, err = (np.asarray(v, dtype=float) for v in (got, fd, err))
    bad = np.abs(got - fd) > 1e-5 * np.abs(fd) + atol + err
    assert not bad.any(), (what, got[bad], fd[bad], err[bad])


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_random_cnns_with_batch_norm_render_in_every_format_and_detail(data):
    """Every format renders every such network, in full and summary detail, with --verify
    (the finite-difference table names γ and β) and with an optimizer's rules."""
    C = data.draw(st.integers(1, 2))
    H, W = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4))
    items, net, loss, K_out = _network_on(data, (C, H, W))
    N = 2
    X = [[[[data.draw(_v) for _ in range(W)] for _ in range(H)] for _ in range(C)]
         for _ in range(N)]
    Y = [[1.0] + [0.0] * (K_out - 1) for _ in range(N)]
    extra = {"learning_rate": 0.1}
    if data.draw(st.booleans()):
        extra["optimizer"] = {"name": data.draw(st.sampled_from(["sgd", "adam"])),
                              "momentum": 0.9}
        if extra["optimizer"]["name"] == "adam":
            del extra["optimizer"]["momentum"]
    text = yaml_text(items, X, Y, loss, 1, extra)
    for detail in ("full", "summary"):
        sol = solve_text(text, detail=detail, verify=True)
        for fmt in ("text", "markdown", "latex", "json"):
            out = render(sol, fmt)
            assert out.strip()
        words = render(sol, "text")
        assert "batch norm" in words and "γ" in words


def test_one_image_is_a_batch_of_its_cells():
    """PyTorch's BatchNorm2d accepts N = 1 in training mode when a channel has more than one
    cell; so does nnsolve. By hand: the map 1, 2, 3, 4 has μ = 5/2 and σ² = 5/4 exactly;
    x̂₁ = −1.5/√1.25001, y₁ = 2x̂₁ + 1; J = ½y₁² with the dense row [1, 0, 0, 0], so ∂J/∂γ =
    y₁·x̂₁ and ∂J/∂β = y₁; ∂J/∂x sums to 0 over the channel, and Σ ∂J/∂x·x̂ =
    γ·∂J/∂γ·ε/(σ² + ε)^(3/2) (0 but for ε: Σx̂² = m·σ²/(σ² + ε)). The single input's JSON has no
    sample axis."""
    from fractions import Fraction
    sol = solve_text("""
kind: backprop
input: [[1, 2], [3, 4]]
target: [0]
layers:
  - batchnorm: {gamma: [2], beta: [1]}
  - flatten
  - weights: [[1, 0, 0, 0]]
loss: half_squared_error
learning_rate: 0.1
""")
    bn = sol.data["steps"][0]["layers"][0]
    assert bn["mean"][0] == Fraction(5, 2) and bn["var"][0] == Fraction(5, 4)
    x1 = -1.5 / math.sqrt(1.25001)
    y1 = 2 * x1 + 1
    assert np.shape(bn["x_hat"]) == (1, 2, 2) and np.shape(bn["h"]) == (1, 2, 2)
    assert math.isclose(bn["x_hat"][0][0][0], x1, rel_tol=1e-12)
    assert math.isclose(bn["h"][0][0][0], y1, rel_tol=1e-12)
    assert math.isclose(bn["dJ_dgamma"][0], y1 * x1, rel_tol=1e-12)
    assert math.isclose(bn["dJ_dbeta"][0], y1, rel_tol=1e-12)
    dx = np.asarray(sol.data["steps"][0]["dJ_dx"], dtype=float)
    assert dx.shape == (2, 2)                 # as the input was written
    xh = np.asarray(bn["x_hat"], dtype=float)[0]
    assert abs(dx.sum()) < 1e-12
    assert math.isclose((dx * xh).sum(), 2 * y1 * x1 * 1e-5 / 1.25001 ** 1.5, rel_tol=1e-6)
    assert abs(dx[0, 0]) > 0.1


def test_example_hand_checked():
    """problems/cnn-batchnorm.yaml: the conv maps' channels are 0, −1, 1, −2 and 2, 1, 0, 2 (by
    hand from the kernels), so μ = −1/2, 5/4 and σ² = 5/4, 11/16 exactly."""
    from fractions import Fraction
    from nnsolve.load import load_problem
    sol = solve(load_problem(os.path.join(PROBLEMS, "cnn-batchnorm.yaml")), SolveOptions())
    bn = sol.data["steps"][0]["layers"][1]
    assert bn["type"] == "batchnorm"
    assert list(bn["mean"]) == [Fraction(-1, 2), Fraction(5, 4)]
    assert list(bn["var"]) == [Fraction(5, 4), Fraction(11, 16)]
    text = render(sol, "text")
    assert "μ = 1/m · Σᵢ xᵢ = 1/4 · (0 + (-1) + 1 + (-2)) = -0.5" in text
    assert "m = N · H · W = 2 · 1 · 2 = 4" in text


def test_a_bias_right_before_a_batch_norm_has_gradient_zero_and_the_solution_says_why():
    with open(os.path.join(PROBLEMS, "cnn-batchnorm.yaml")) as f:
        text = f.read().replace("[[0, 1], [1, 0]]]}", "[[0, 1], [1, 0]]], bias: [1, -1]}")
    assert "bias: [1, -1]" in text
    sol = solve_text(text)
    db = np.asarray(sol.data["steps"][0]["layers"][0]["dJ_db"], dtype=float)
    assert np.all(np.abs(db) < 1e-12)
    for detail in ("full", "summary"):
        words = render(solve_text(text, detail=detail), "text")
        assert "has gradient 0" in words.replace("\n", " ")
    # without the bias, or with an activation between, no such note
    plain = render(solve_text(text.replace(", bias: [1, -1]", "")), "text")
    assert "has gradient 0" not in plain.replace("\n", " ")
