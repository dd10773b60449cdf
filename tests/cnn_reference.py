"""An independent CNN forward and backward pass in plain Python loops (floats, no numpy), for
testing nnsolve's engine: every index written out, nothing shared with nnsolve.

A network is a list of layer dicts:
  {"type": "conv", "K": F×C×kh×kw lists, "b": [F] or None, "stride": (sh, sw),
   "pads": ((top, bottom), (left, right)), "dil": (dh, dw), "mode": "cross_correlation"|
   "convolution", "act": name}
  {"type": "pool", "ptype": "max"|"avg", "size": (kh, kw), "stride": (sh, sw),
   "pads": ((top, bottom), (left, right)), "ceil": bool}
  {"type": "flatten"}
  {"type": "dense", "W": units×inputs lists, "b": [units] or None, "act": name}
Inputs are C×H×W lists (or vectors for a dense-only network).
"""

from __future__ import annotations

import math


def act_f(name, a, alpha=0.01):
    if name == "relu":
        return a if a > 0 else 0.0
    if name == "leaky_relu":
        return a if a > 0 else alpha * a
    if name == "relu6":
        return min(max(a, 0.0), 6.0)
    if name == "sigmoid":
        return 1 / (1 + math.exp(-a))
    if name == "tanh":
        return math.tanh(a)
    return a


def act_df(name, a, alpha=0.01):
    if name == "relu":
        return 1.0 if a > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if a > 0 else alpha
    if name == "relu6":
        return 1.0 if 0 < a < 6 else 0.0
    if name == "sigmoid":
        s = 1 / (1 + math.exp(-a))
        return s * (1 - s)
    if name == "tanh":
        return 1 - math.tanh(a) ** 2
    return 1.0


def zeros3(C, H, W):
    return [[[0.0] * W for _ in range(H)] for _ in range(C)]


def slid(K, mode):
    """The kernel as slid: rotated by 180° for a convolution."""
    if mode != "convolution":
        return K
    return [[[row[::-1] for row in ch[::-1]] for ch in f] for f in K]


def conv_size(i, pads, k, s, d):
    return (i + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1


def pool_size(i, pads, k, s, ceil):
    num = i + pads[0] + pads[1] - k
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= i + pads[0]:
        o -= 1
    return o


def conv_forward(L, x):
    K = slid(L["K"], L["mode"])
    F, C, kh, kw = len(K), len(K[0]), len(K[0][0]), len(K[0][0][0])
    H, W = len(x[0]), len(x[0][0])
    (pt, pb), (pl, pr) = L["pads"]
    (sh, sw), (dh, dw) = L["stride"], L["dil"]
    Ho = conv_size(H, (pt, pb), kh, sh, dh)
    Wo = conv_size(W, (pl, pr), kw, sw, dw)
    out = zeros3(F, Ho, Wo)
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                t = L["b"][f] if L["b"] is not None else 0.0
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            r, q = i * sh + u * dh - pt, j * sw + v * dw - pl
                            if 0 <= r < H and 0 <= q < W:
                                t += x[c][r][q] * K[f][c][u][v]
                out[f][i][j] = t
    return out


def conv_backward(L, x, g):
    """(∂J/∂K as written, ∂J/∂b, ∂J/∂x) from g = ∂J/∂(conv output)."""
    Ks = slid(L["K"], L["mode"])
    F, C, kh, kw = len(Ks), len(Ks[0]), len(Ks[0][0]), len(Ks[0][0][0])
    H, W = len(x[0]), len(x[0][0])
    (pt, pb), (pl, pr) = L["pads"]
    (sh, sw), (dh, dw) = L["stride"], L["dil"]
    Ho, Wo = len(g[0]), len(g[0][0])
    dKs = [zeros3(C, kh, kw) for _ in range(F)]
    db = [0.0] * F
    dx = zeros3(C, H, W)
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                db[f] += g[f][i][j]
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            r, q = i * sh + u * dh - pt, j * sw + v * dw - pl
                            if 0 <= r < H and 0 <= q < W:
                                dKs[f][c][u][v] += g[f][i][j] * x[c][r][q]
                                dx[c][r][q] += g[f][i][j] * Ks[f][c][u][v]
    return slid(dKs, L["mode"]), db, dx


def pool_windows(L, H, W):
    """For each output cell (i, j): the input cells of its window (row-major), padding left out."""
    (kh, kw), (sh, sw) = L["size"], L["stride"]
    (pt, pb), (pl, pr) = L["pads"]
    Ho = pool_size(H, (pt, pb), kh, sh, L["ceil"])
    Wo = pool_size(W, (pl, pr), kw, sw, L["ceil"])
    out = {}
    for i in range(Ho):
        for j in range(Wo):
            cells = []
            for u in range(kh):
                for v in range(kw):
                    r, q = i * sh + u - pt, j * sw + v - pl
                    if 0 <= r < H and 0 <= q < W:
                        cells.append((r, q))
            out[(i, j)] = cells
    return Ho, Wo, out


def pool_forward(L, x):
    C, H, W = len(x), len(x[0]), len(x[0][0])
    Ho, Wo, wins = pool_windows(L, H, W)
    out = zeros3(C, Ho, Wo)
    for c in range(C):
        for (i, j), cells in wins.items():
            vals = [x[c][r][q] for r, q in cells]
            out[c][i][j] = max(vals) if L["ptype"] == "max" else sum(vals) / len(vals)
    return out


def pool_backward(L, x, g):
    C, H, W = len(x), len(x[0]), len(x[0][0])
    _, _, wins = pool_windows(L, H, W)
    dx = zeros3(C, H, W)
    for c in range(C):
        for (i, j), cells in wins.items():
            if L["ptype"] == "max":
                best = None
                for r, q in cells:          # the first maximum in row-major order
                    if best is None or x[c][r][q] > x[c][best[0]][best[1]]:
                        best = (r, q)
                dx[c][best[0]][best[1]] += g[c][i][j]
            else:
                for r, q in cells:
                    dx[c][r][q] += g[c][i][j] / len(cells)
    return dx


def flat(x):
    return [v for ch in x for row in ch for v in row]


def unflat(v, like):
    C, H, W = len(like), len(like[0]), len(like[0][0])
    return [[[v[(c * H + r) * W + q] for q in range(W)] for r in range(H)] for c in range(C)]


def apply(fn, x):
    if isinstance(x, list):
        return [apply(fn, e) for e in x]
    return fn(x)


def zip_apply(fn, x, y):
    if isinstance(x, list):
        return [zip_apply(fn, a, b) for a, b in zip(x, y)]
    return fn(x, y)


def sample_forward(net, x):
    """[(layer input, pre-activation, output)] of every layer for one sample."""
    trace = []
    h = x
    for L in net:
        t = L["type"]
        if t == "conv":
            a = conv_forward(L, h)
            out = apply(lambda v: act_f(L["act"], v, L.get("alpha", 0.01)), a)
        elif t == "pool":
            a = None
            out = pool_forward(L, h)
        elif t == "flatten":
            a = None
            out = flat(h)
        else:
            a = [sum(L["W"][j][k] * h[k] for k in range(len(h)))
                 + (L["b"][j] if L["b"] is not None else 0.0) for j in range(len(L["W"]))]
            if L["act"] == "softmax":
                m = max(a)
                e = [math.exp(v - m) for v in a]
                out = [v / sum(e) for v in e]
            else:
                out = [act_f(L["act"], v, L.get("alpha", 0.01)) for v in a]
        trace.append((h, a, out))
        h = out
    return trace


def loss_and_grad(loss, y, p):
    K = len(p)
    if loss == "squared_error":
        return sum((y[k] - p[k]) ** 2 for k in range(K)), [-2 * (y[k] - p[k]) for k in range(K)]
    if loss == "half_squared_error":
        return 0.5 * sum((y[k] - p[k]) ** 2 for k in range(K)), [-(y[k] - p[k]) for k in range(K)]
    if loss == "mse":
        return (sum((y[k] - p[k]) ** 2 for k in range(K)) / K,
                [-2 * (y[k] - p[k]) / K for k in range(K)])
    # cross_entropy on a softmax output: the gradient returned is at the softmax's input
    return -sum(y[k] * math.log(p[k]) for k in range(K) if y[k]), [p[k] - y[k] for k in range(K)]


def network_loss(net, X, Y, loss, reduction="mean", reg=None):
    c = 1 / len(X) if reduction == "mean" else 1.0
    J = 0.0
    for x, y in zip(X, Y):
        J += c * loss_and_grad(loss, y, sample_forward(net, x)[-1][2])[0]
    if reg:
        p, alpha = reg
        for L in net:
            for w in _weights(L):
                J += alpha * abs(w) ** p
    return J


def _weights(L):
    if L["type"] == "conv":
        return [w for f in L["K"] for ch in f for row in ch for w in row]
    if L["type"] == "dense":
        return [w for row in L["W"] for w in row]
    return []


def network_gradients(net, X, Y, loss, reduction="mean", reg=None):
    """(J, per layer {"W"/"K": grad, "b": grad, "dJ_dx": per-sample input gradient}, dJ_dx)."""
    c = 1 / len(X) if reduction == "mean" else 1.0
    grads = []
    for L in net:
        if L["type"] == "conv":
            K = L["K"]
            grads.append({"K": apply(lambda v: 0.0, K),
                          "b": [0.0] * len(K) if L["b"] is not None else None})
        elif L["type"] == "dense":
            grads.append({"W": apply(lambda v: 0.0, L["W"]),
                          "b": [0.0] * len(L["W"]) if L["b"] is not None else None})
        else:
            grads.append({})
    dx_all = []
    J = 0.0
    for x, y in zip(X, Y):
        trace = sample_forward(net, x)
        Js, g = loss_and_grad(loss, y, trace[-1][2])
        J += c * Js
        g = [c * v for v in g]
        for li in range(len(net) - 1, -1, -1):
            L, (h, a, out) = net[li], trace[li]
            t = L["type"]
            if t == "conv":
                if not (li == len(net) - 1 and loss == "cross_entropy"):
                    g = zip_apply(lambda gv, av: gv * act_df(L["act"], av, L.get("alpha", 0.01)),
                                  g, a)
                dK, db, g_in = conv_backward(L, h, g)
                grads[li]["K"] = zip_apply(lambda s, v: s + v, grads[li]["K"], dK)
                if db is not None and L["b"] is not None:
                    grads[li]["b"] = [s + v for s, v in zip(grads[li]["b"], db)]
                g = g_in
            elif t == "pool":
                g = pool_backward(L, h, g)
            elif t == "flatten":
                g = unflat(g, h)
            else:
                if not (li == len(net) - 1 and loss == "cross_entropy"):
                    g = [g[j] * act_df(L["act"], a[j], L.get("alpha", 0.01))
                         for j in range(len(a))]
                W = L["W"]
                for j in range(len(W)):
                    if L["b"] is not None:
                        grads[li]["b"][j] += g[j]
                    for k in range(len(W[0])):
                        grads[li]["W"][j][k] += g[j] * h[k]
                g = [sum(g[j] * W[j][k] for j in range(len(W))) for k in range(len(W[0]))]
        dx_all.append(g)
    if reg:
        p, alpha = reg
        for L, G in zip(net, grads):
            name = "K" if L["type"] == "conv" else "W" if L["type"] == "dense" else None
            if name is None:
                continue
            for w in _weights(L):
                J += alpha * abs(w) ** p
            G[name] = zip_apply(lambda gv, w: gv + (alpha * p * abs(w) ** (p - 1)
                                                     * math.copysign(1, w) if w != 0 else 0.0),
                                G[name], L[name])
    return J, grads, dx_all


def central_differences(net, X, Y, loss, reduction="mean", reg=None, eps=1e-6):
    """(J(θ+ε) − J(θ−ε))/2ε of every kernel weight, weight and bias, as nested lists like grads."""
    out = []
    for L in net:
        entry = {}
        for name in ("K", "W", "b"):
            if L.get(name) is None or L["type"] not in ("conv", "dense"):
                continue
            entry[name] = _fd_nested(L, name, lambda: network_loss(net, X, Y, loss, reduction,
                                                                  reg), eps)
        out.append(entry)
    return out


def _fd_nested(L, name, J, eps):
    def walk(container):
        res = []
        for i, v in enumerate(container):
            if isinstance(v, list):
                res.append(walk(v))
            else:
                container[i] = v + eps
                up = J()
                container[i] = v - eps
                down = J()
                container[i] = v
                res.append((up - down) / (2 * eps))
        return res
    return walk(L[name])


def net_of_problem(problem: dict) -> list:
    """The network of a backprop problem written as a dict (conv settings given as one number,
    padding on every side; a pool's size and stride as a number or [h, w]; kernels kh×kw or
    C×kh×kw, as the tests' and `new --cnn`'s problems write them), in this module's form."""
    def activation(spec):
        act = spec["activation"]
        return {"act": act, "alpha": 0.01} if isinstance(act, str) else \
            {"act": act["name"], "alpha": act["alpha"]}
    net = []
    for spec in problem["layers"]:
        if spec == "flatten":
            net.append({"type": "flatten"})
        elif "conv" in spec:
            c = spec["conv"]
            p = c["padding"]
            K = c["kernels"] if "kernels" in c else [c["kernel"]]
            K = [k if isinstance(k[0][0], list) else [k] for k in K]     # kh×kw: one channel
            net.append({"type": "conv", "K": K, "b": c.get("bias"),
                        "stride": (c["stride"],) * 2, "pads": ((p, p), (p, p)), "dil": (1, 1),
                        "mode": c.get("mode", "cross_correlation"), **activation(spec)})
        elif "pool" in spec:
            s = spec["pool"]
            def pair(v):
                return tuple(v) if isinstance(v, list) else (v, v)
            net.append({"type": "pool", "ptype": s["type"], "size": pair(s["size"]),
                        "stride": pair(s.get("stride", s["size"])), "pads": ((0, 0), (0, 0)),
                        "ceil": False})
        else:
            net.append({"type": "dense", "W": spec["weights"], "b": spec.get("bias"),
                        **activation(spec)})
    return net
