"""The optimizer's part of a backprop step: the update of each parameter by its rule, the state
carried from step to step, and how both are written out and put in the JSON.

Without ``optimizer:`` a problem keeps plain gradient descent (explain.py's update section);
with one, every parameter array (W, b of each layer; γ, β of a batch norm) is updated by
``ops.optim``'s rule, its state (PyTorch's: exp_avg, momentum_buffer, ...) starting at zero and
carried into the next step.
"""

from __future__ import annotations

import numpy as np

from ...expr import Deriv, Num, Seq, Sym, Text
from ...ops import optim
from ...solution import Equation, Note, Paragraph, Section, Table

J = Sym("J")


class Training:
    """Updates parameters step after step with one optimizer, keeping each parameter's state.

    ``update(layer index, name, θ, g)`` is what a step calls for each parameter array; it returns
    θ's new value and the trace of the rule (kept on the step for the explanation)."""

    def __init__(self, optimizer, mistake: str | None = None):
        self.opt = optimizer
        self.mistake = mistake
        self.states: dict = {}       # (layer index, name) -> state after the last finished step
        self.t = 0

    def begin(self) -> "Training":
        """Start the next step (t counts from 1)."""
        self.t += 1
        self._pending = {}
        return self

    def update(self, li: int, name: str, theta, g):
        state = self.states.get((li, name))
        if state is None:
            state = self.opt.init_state(theta)
        trace = self.opt.step(theta, g, state, self.t, self.mistake)
        self._pending[(li, name)] = trace.state
        return trace.theta_new, trace

    def finish(self) -> None:
        """The step is kept: its states carry into the next one."""
        self.states.update(self._pending)


def state_data(opt, traces: dict) -> dict:
    """A layer's JSON ``state``: per parameter, the state after the step under PyTorch's names."""
    return {name: opt.torch_state(tr.state, tr.t) for name, tr in traces.items()}


def state_arrays(traces: dict):
    """Every state array of a layer's traces (for the finiteness and length checks)."""
    for tr in traces.values():
        yield from tr.state.values()


_TITLES = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam",
           "adamw": "AdamW"}
_HYPER = [("lr", "eta"), ("lr_decay", None), ("momentum", "mu"), ("dampening", "tau"),
          ("alpha", "alpha"), ("beta1", ("beta", 1)), ("beta2", ("beta", 2)),
          ("epsilon", "epsilon"), ("weight_decay", "lambda"), ("initial_accumulator_value", None)]
# the options that are words: how the description says them when they are true
_FLAGS = [("nesterov", "Nesterov momentum"), ("centered", "centered"),
          ("amsgrad", "AMSGrad (amsgrad)"), ("maximize", "maximizing (maximize: g ← −g)")]


def _sym(key, s):
    if s is None:       # written with PyTorch's name beside nnsolve's symbol: lr_decay ηᵈᵉᶜᵃʸ
        return Seq((Text(key + " "), optim.symbols(optim.V(key), 1, Sym("theta"))), sep="")
    return Sym(s[0], sub=s[1]) if isinstance(s, tuple) else Sym(s)


def describe(opt) -> list:
    """The optimizer in words and its hyper-parameters: Adam (torch.optim.Adam) with η = 0.1, …"""
    parts = [f"{_TITLES[opt.name]}, as torch.optim.{opt.defn.torch} computes it, with "]
    first = True
    for key, s in _HYPER:
        if key not in opt.hyper:
            continue
        if not first:
            parts.append(", ")
        parts.append(Seq((_sym(key, s), Text(" = "), Num(opt.hyper[key])), sep=""))
        first = False
    for key, words in _FLAGS:
        if opt.hyper.get(key):
            parts.append(", " + words)
    return parts


def start_parts(opt) -> list:
    """How the state starts, as running-text parts: m₀ = v₀ = 0, or Adagrad's s₀ = τ = 0.1."""
    start = opt.initial()
    zero = [k for k, x in start.items() if x == 0]
    parts = []
    if zero:
        parts.append(" = ".join(f"{optim.state_text(k)}₀" for k in zero) + " = 0")
    for k, x in start.items():
        if x != 0:
            parts += [("; " if parts else "") + f"{optim.state_text(k)}₀ = τ = ", Num(x)]
    return parts


def starts_at_zero(opt) -> bool:
    return all(x == 0 for x in opt.initial().values())


def _state_words(opt, t: int) -> list:
    names = opt.state_names()
    if not names:
        return ["Plain SGD keeps no state between steps."]
    if t == 1:
        start = "at zero" if starts_at_zero(opt) else "as PyTorch starts it"
        return [f"The state starts {start} ("] + start_parts(opt) + [
            ") and t counts the steps from 1; this is step t = 1."]
    return [f"This is step t = {t}: the state comes from step {t - 1}."]


def update_section(ex, full: bool, t: int) -> Section:
    """The update of every parameter by the optimizer's rule, with the state it carries."""
    problem, step, names = ex.problem, ex.step, ex.names
    opt = problem.optimizer
    sec = Section("Update")
    sec.add(Paragraph(*describe(opt), "."))
    sec.add(Paragraph(*_state_words(opt, t), " The rule for each parameter θ with gradient ",
                      Seq((Sym("g", sub=t), Text(" = "), Deriv(J, Sym("theta"))), sep=""),
                      ":"))
    sec.add(*optim.rule_equations(opt, t))
    if opt.name in ("adam", "adamw"):
        sec.add(Note("m̂ and v̂ are the bias corrections: m and v start at 0, so for small t "
                     "they are too small by the factors 1 − β₁ᵗ and 1 − β₂ᵗ."))
    if opt.name == "sgd" and opt.hyper["momentum"] != 0 and t == 1:
        sec.add(Note("At t = 1 PyTorch starts the momentum buffer at the gradient itself "
                     "(b₁ = g₁), without the dampening."))
    if t == 1:
        sec.add(*option_notes(opt))
    if full:
        sec.add(Paragraph("Each parameter, rule by rule:"))
    still = []      # parameters with gradient 0 and state 0: nothing moves
    for l, ls in enumerate(step.layers, start=1):
        for pname, trace in (ls.traces or {}).items():
            theta_arr = _param(ls, pname)
            g = _grad(ls, pname)
            if full:
                for idx in np.ndindex(theta_arr.shape):
                    sym = _element_symbol(names, ls, l, pname, idx)
                    if _at_rest(trace, theta_arr, idx):
                        still.append(sym)
                        continue
                    sec.add(Paragraph(sym, ":"))
                    sec.add(*optim.element_equations(trace, sym, Deriv(J, sym), g, idx))
            else:
                for sym, part, gp in _pieces(names, ls, l, pname, trace, g):
                    sec.add(Paragraph(f"Layer {l}, ", sym, ":"))
                    sec.add(*optim.array_equations(part, sym, Deriv(J, sym), gp))
    if still:
        sec.add(Paragraph(*_listed(still), (" has" if len(still) == 1 else " have") +
                          " gradient 0 and state 0: the state stays 0 and the value does not "
                          "change."))
    from .explain import update_bias_note
    note = update_bias_note(ex)
    if note is not None:
        sec.add(note)
    if full and opt.state_names():
        sec.add(state_table(opt, step, names, t))
    sec.add(Paragraph("The new parameters:"))
    for l, ls in enumerate(step.layers, start=1):
        for pname in ("W", "b"):
            new = ls.W_new if pname == "W" else ls.b_new
            if new is None:
                continue
            if np.ndim(new) == 4:       # a conv layer's kernels, one matrix per filter, channel
                from .layers.names import MapNames
                for f in range(new.shape[0]):
                    for c in range(new.shape[1]):
                        sec.add(Equation([MapNames.kernel(l, new, f, c), _val(new[f, c])]))
            else:
                sec.add(Equation([names.param(l, pname), _val(new)]))
    return sec


def option_notes(opt) -> list:
    """What the options of torch.optim that change a rule do, in words (at step 1)."""
    h, out = opt.hyper, []
    if h.get("maximize"):
        out.append(Note("maximize is true: PyTorch negates the gradient before anything else "
                        "(g ← −g), so each parameter moves up its gradient and the objective "
                        "grows."))
    if h.get("centered"):
        out.append(Note("Centered RMSprop divides by an estimate of the gradient's variance, ",
                        Sym("v", tilde=True), " = v − (gᵃᵛᵉ)², where gᵃᵛᵉ is the running "
                        "average of g (PyTorch's grad_avg), instead of by its mean square v."))
    if h.get("amsgrad"):
        out.append(Note("AMSGrad keeps vᵐᵃˣ, the largest v so far (PyTorch's max_exp_avg_sq), "
                        "and bias-corrects that: the maximum is taken of v itself, before the "
                        "division by 1 − β₂ᵗ."))
    if h.get("lr_decay"):
        out.append(Note("Adagrad's learning rate decays with the step, η̃ₜ = η/(1 + (t − 1)·"
                        "ηᵈᵉᶜᵃʸ) (lr_decay): step 1 uses η itself."))
    return out


def _pieces(names, ls, l, pname, trace, g):
    """(symbol, trace, gradient) of a parameter array in summary: the whole matrix or vector,
    or a conv layer's kernels one F×C slice at a time (each a matrix)."""
    theta = np.asarray(trace.theta_new)
    if theta.ndim != 4:
        yield names.param(l, _which(ls, pname)), trace, g
        return
    from .layers.names import MapNames

    def cut(v, f, c):
        return np.asarray(v)[f, c] if np.ndim(v) == 4 else v
    for f in range(theta.shape[0]):
        for c in range(theta.shape[1]):
            part = optim.StepTrace(trace.t, [(r, before, cut(v, f, c))
                                             for r, before, v in trace.rules],
                                   theta[f, c], trace.state)
            yield MapNames.kernel(l, theta, f, c), part, np.asarray(g)[f, c]


def _at_rest(trace, theta, idx) -> bool:
    """Every number of a parameter's step is 0 and its value stays (nothing to show)."""
    for rule, before, value in trace.rules:
        if rule.target == "lr_tilde":        # η̃ₜ, the same for every parameter
            continue
        if (rule.target != "theta" and value[idx] != 0) or before["g"][idx] != 0:
            return False
        if any(k.endswith("'") and before[k][idx] != 0 for k in before):
            return False
    return trace.theta_new[idx] == theta[idx]


def _listed(items) -> list:
    """a, b and c, as running text parts."""
    out = []
    for i, x in enumerate(items):
        if i:
            out.append(" and " if i == len(items) - 1 else ", ")
        out.append(x)
    return out


def state_table(opt, step, names, t: int) -> Table:
    """Each parameter's state after this step (what step t + 1 starts from)."""
    keys = list(opt.state_names().items())
    rows = []
    for l, ls in enumerate(step.layers, start=1):
        for pname, trace in (ls.traces or {}).items():
            for idx in np.ndindex(_param(ls, pname).shape):
                rows.append([_element_symbol(names, ls, l, pname, idx)] +
                            [Num(_item(trace.state[k], idx)) for k, _ in keys])
    header = ["parameter"] + [f"{torch} ({optim.state_text(k)}{_sub(t)})" for k, torch in keys]
    return Table(header, rows, caption=f"The state after step {t}")


_SUBS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(t: int) -> str:
    return str(t).translate(_SUBS)


def _which(ls, pname) -> str:
    """The slot of a parameter in a layer's step: W (its type's first parameter: W, a conv's
    K, a batch norm's γ) or b (the second: b, β)."""
    from .layers import types
    return "W" if pname == types()[ls.type].params[0] else "b"


def _param(ls, pname):
    return np.asarray(ls.W if _which(ls, pname) == "W" else ls.b)


def _grad(ls, pname):
    return np.asarray(ls.dJ_dW if _which(ls, pname) == "W" else ls.dJ_db)


def _element_symbol(names, ls, l, pname, idx):
    return names.param(l, _which(ls, pname), idx)


def _item(a, idx):
    x = np.asarray(a)[idx]
    return float(x) if isinstance(x, np.floating) else x


def _val(a):
    from ...expr import Mat
    a = np.asarray(a)
    return Num(_item(a.ravel(), 0)) if a.size == 1 else Mat(a)
