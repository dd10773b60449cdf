"""Independent references for the tests: torch.optim's algorithms and a network, in plain loops.

``optimizer_run`` is written from the pseudo-code of the torch.optim documentation (SGD, Adagrad,
RMSprop, Adam, AdamW), one scalar at a time; Adam and AdamW in the form PyTorch's code computes
them (denominator √v/√(1 − β₂ᵗ) + ε, step size η/(1 − β₁ᵗ); AMSGrad with the maximum of v kept
before that division), and ``maximize`` negating the gradient first as PyTorch's code does.
``Net`` is a small network (dense
layers, activations, batch norm in training mode, the losses) computed sample by sample and unit
by unit in Python complex numbers, so that its gradients come from the complex step
J′(θ) = Im J(θ + ih)/h (h = 1e-30): exact to rounding, and independent of any backward pass.
"""

from __future__ import annotations

import cmath
import math


def optimizer_run(name, h, theta, grads):
    """θ after each step and the state, for a list of gradient lists (one per step).

    ``grads[k]`` may be a function of θ (the gradient at the current θ). The options: SGD's
    momentum, dampening, nesterov; Adagrad's lr_decay and initial_accumulator_value; RMSprop's
    alpha, momentum and centered; Adam's and AdamW's betas and amsgrad; every optimizer's
    weight_decay and maximize (the gradient negated first, as PyTorch's code does)."""
    n = len(theta)
    theta = list(theta)
    state = {}
    out = []
    for t, gk in enumerate(grads, start=1):
        g = list(gk(theta) if callable(gk) else gk)
        if h.get("maximize", False):
            g = [-x for x in g]
        lr, wd = h["lr"], h.get("weight_decay", 0)
        if name == "sgd":
            mu, tau, nest = h.get("momentum", 0), h.get("dampening", 0), h.get("nesterov", False)
            for i in range(n):
                g[i] = g[i] + wd * theta[i]
            if mu != 0:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = list(g)
                else:
                    buf = state["momentum_buffer"]
                    for i in range(n):
                        buf[i] = mu * buf[i] + (1 - tau) * g[i]
                buf = state["momentum_buffer"]
                for i in range(n):
                    g[i] = g[i] + mu * buf[i] if nest else buf[i]
            for i in range(n):
                theta[i] = theta[i] - lr * g[i]
        elif name == "adagrad":
            eps = h.get("epsilon", 1e-10)
            # state_sum₀ = τ; γ̃ = γ/(1 + (t − 1)η) with η the lr decay
            s = state.setdefault("sum", [h.get("initial_accumulator_value", 0)] * n)
            clr = lr / (1 + (t - 1) * h.get("lr_decay", 0))
            for i in range(n):
                gi = g[i] + wd * theta[i]
                s[i] = s[i] + gi * gi
                theta[i] = theta[i] - clr * gi / (math.sqrt(s[i]) + eps)
        elif name == "rmsprop":
            alpha, eps, mu = h.get("alpha", 0.99), h.get("epsilon", 1e-8), h.get("momentum", 0)
            centered = h.get("centered", False)
            v = state.setdefault("square_avg", [0.0] * n)
            if centered:
                gave = state.setdefault("grad_avg", [0.0] * n)
            if mu > 0:
                b = state.setdefault("momentum_buffer", [0.0] * n)
            for i in range(n):
                gi = g[i] + wd * theta[i]
                v[i] = alpha * v[i] + (1 - alpha) * gi * gi
                vt = v[i]
                if centered:
                    gave[i] = gave[i] * alpha + (1 - alpha) * gi
                    vt = vt - gave[i] ** 2
                if mu > 0:
                    b[i] = mu * b[i] + gi / (math.sqrt(vt) + eps)
                    theta[i] = theta[i] - lr * b[i]
                else:
                    theta[i] = theta[i] - lr * gi / (math.sqrt(vt) + eps)
        elif name in ("adam", "adamw"):
            b1, b2 = h.get("beta1", 0.9), h.get("beta2", 0.999)
            eps = h.get("epsilon", 1e-8)
            amsgrad = h.get("amsgrad", False)
            if name == "adamw" and "weight_decay" not in h:
                wd = 0.01
            m = state.setdefault("exp_avg", [0.0] * n)
            v = state.setdefault("exp_avg_sq", [0.0] * n)
            if amsgrad:
                vmax = state.setdefault("max_exp_avg_sq", [0.0] * n)
            bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
            for i in range(n):
                gi = g[i]
                if name == "adamw":
                    theta[i] = theta[i] * (1 - lr * wd)
                else:
                    gi = gi + wd * theta[i]
                m[i] = m[i] * b1 + (1 - b1) * gi
                v[i] = v[i] * b2 + (1 - b2) * gi * gi
                if amsgrad:     # the max of v itself, then its bias correction
                    vmax[i] = max(vmax[i], v[i])
                    denom = math.sqrt(vmax[i]) / math.sqrt(bc2) + eps
                else:
                    denom = math.sqrt(v[i]) / math.sqrt(bc2) + eps
                theta[i] = theta[i] - (lr / bc1) * m[i] / denom
        if name != "sgd":
            state["step"] = t
        out.append((list(theta), {k: (list(v) if isinstance(v, list) else v)
                                  for k, v in state.items()}))
    return out


# --- a network in plain loops, differentiated by the complex step ------------------------------

H_STEP = 1e-30


def _act(name, z, alpha=0.01):
    if name == "linear":
        return z
    if name == "relu":
        return z if z.real > 0 else 0 * z
    if name == "leaky_relu":
        return z if z.real > 0 else alpha * z
    if name == "sigmoid":
        return 1 / (1 + cmath.exp(-z))
    if name == "tanh":
        return cmath.tanh(z)
    raise ValueError(name)


class Net:
    """Layers: ``{"W": rows, "b": list or None, "act": name}`` or
    ``{"gamma": list, "beta": list, "eps": e}`` (batch norm over the samples, per unit).

    ``loss``: squared_error, half_squared_error, mse, cross_entropy (a softmax output) or
    ``("hinge", Δ)``; ``reduction`` mean or sum over the samples."""

    def __init__(self, layers, X, Y, loss, reduction="mean"):
        self.layers, self.X, self.Y, self.loss, self.reduction = layers, X, Y, loss, reduction

    def params(self):
        """(layer index, name, flat index) of every parameter scalar, in the layers' order."""
        out = []
        for li, L in enumerate(self.layers):
            for name in (("W", "b") if "W" in L else ("gamma", "beta")):
                v = L.get(name)
                if v is None:
                    continue
                if name == "W":
                    out += [(li, name, (j, k)) for j in range(len(v)) for k in range(len(v[0]))]
                else:
                    out += [(li, name, (j,)) for j in range(len(v))]
        return out

    def get(self, slot):
        li, name, idx = slot
        v = self.layers[li][name]
        return v[idx[0]][idx[1]] if len(idx) == 2 else v[idx[0]]

    def set(self, slot, value):
        li, name, idx = slot
        v = self.layers[li][name]
        if len(idx) == 2:
            v[idx[0]][idx[1]] = value
        else:
            v[idx[0]] = value

    def forward(self):
        """The activations of every layer: a list (per layer) of lists (per sample)."""
        H = [list(x) for x in self.X]
        outs = []
        for L in self.layers:
            if "W" in L:
                new = []
                for h in H:
                    a = [sum(w * x for w, x in zip(row, h)) + (L["b"][j] if L.get("b") else 0)
                         for j, row in enumerate(L["W"])]
                    if L["act"] == "softmax":
                        m = max(z.real for z in a)
                        e = [cmath.exp(z - m) for z in a]
                        s = sum(e)
                        new.append([v / s for v in e])
                    else:
                        new.append([_act(L["act"], z, L.get("alpha", 0.01)) for z in a])
                H = new
            else:
                N, D = len(H), len(H[0])
                out = [[0] * D for _ in range(N)]
                for j in range(D):
                    mu = sum(H[i][j] for i in range(N)) / N
                    var = sum((H[i][j] - mu) ** 2 for i in range(N)) / N
                    for i in range(N):
                        xh = (H[i][j] - mu) / cmath.sqrt(var + L["eps"])
                        out[i][j] = L["gamma"][j] * xh + L["beta"][j]
                H = out
            outs.append(H)
        return outs

    def J(self):
        P = self.forward()[-1]
        total = 0
        for p, y in zip(P, self.Y):
            if self.loss == "squared_error":
                total += sum((a - b) ** 2 for a, b in zip(y, p))
            elif self.loss == "half_squared_error":
                total += sum((a - b) ** 2 for a, b in zip(y, p)) / 2
            elif self.loss == "mse":
                total += sum((a - b) ** 2 for a, b in zip(y, p)) / len(p)
            elif self.loss == "cross_entropy":
                total += -sum(a * cmath.log(b) for a, b in zip(y, p) if a != 0)
            else:
                delta = self.loss[1]
                k = max(range(len(y)), key=lambda i: y[i])
                for j in range(len(p)):
                    m = p[j] - p[k] + delta
                    if j != k and m.real > 0:
                        total += m
        return total / len(P) if self.reduction == "mean" else total

    def gradients(self):
        """∂J/∂θ of every parameter scalar (in ``params()`` order), by the complex step."""
        out = []
        for slot in self.params():
            old = self.get(slot)
            self.set(slot, complex(old) + 1j * H_STEP)
            out.append(self.J().imag / H_STEP)
            self.set(slot, old)
        return out

    def train(self, name, h, steps, frozen=()):
        """The parameters after each of ``steps`` steps of the optimizer (PyTorch's rules), and
        the state; ``frozen``: names of parameters not updated (``b`` with update_bias false)."""
        slots = [s for s in self.params() if s[1] not in frozen]
        theta = [float(self.get(s)) for s in slots]
        records = []

        def grad_at(th):
            for s, v in zip(slots, th):
                self.set(s, v)
            all_slots = self.params()
            g = dict(zip(all_slots, self.gradients()))
            records.append((self.J().real, [list(map(lambda r: [complex(x).real for x in r], H))
                                            for H in self.forward()]))
            return [g[s] for s in slots]

        run = optimizer_run(name, h, theta, [grad_at] * steps)
        return slots, run, records
