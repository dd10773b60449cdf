"""The optimizers of ``torch.optim``, each one definition: its update rule, its state, its mistakes.

A rule is written once, as a formula over named quantities (``V`` leaves: the parameter θ, its
gradient g, a state such as m, a hyper-parameter such as β₁). The same formula is

- evaluated on whole arrays: the update itself, exact (Fractions) while every operation in it is
  rational (sgd with or without momentum), float64 once a square root enters (adagrad, rmsprop,
  adam, adamw);
- written with symbols for its leaves (m₂ ← β₁·m₁ + (1 − β₁)·g₂): the rule as a solution states it;
- written with the numbers of one parameter, or the matrices of a whole layer, for its leaves.

The rules are PyTorch's exactly (the pseudo-code of the torch.optim documentation): the state
starts at zero, t counts the steps from 1, and weight decay adds λθ to the gradient (AdamW:
θ ← θ − ηλθ first, decoupled). A student's typical mistake is the same optimizer with one rule
swapped (Adam's bias correction forgotten, β₁ and β₂ swapped, ...), so ``check`` re-solves with it
and keeps no copy of the maths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from ..arrays import as_float, zeros_like_mode
from ..expr import Add, Call, Expr, Frac, Mat, Mul, Neg, Num, Paren, Pow, Sqrt, Sub, Sym

__all__ = ["V", "Rule", "OptimizerDef", "Optimizer", "StepTrace", "OPTIMIZERS", "make",
           "evaluate", "symbols", "numbers", "matrices", "MISTAKE_TEXT"]


# --- the formula language of the rules --------------------------------------------------------

class V(Expr):
    """A named quantity of an update rule; ``prev``: its value before this step (m₍ₜ₋₁₎)."""

    __slots__ = _fields = ("key", "prev")
    _defaults = {"prev": False}


@dataclass(frozen=True)
class Rule:
    """``target ← expr`` (an assignment, ``assign``) or ``target = expr`` (a definition)."""

    target: str
    expr: Expr
    assign: bool = True


def _dot(*factors) -> Mul:
    return Mul(tuple(factors), "dot")


def _one_minus(x) -> Paren:
    return Paren(Sub(Num(1), x))


THETA, G, T = V("theta"), V("g"), V("t")
LR, MU, TAU, LAM = V("lr"), V("momentum"), V("dampening"), V("weight_decay")
EPS, ALPHA, B1, B2 = V("epsilon"), V("alpha"), V("beta1"), V("beta2")
LR_DECAY = V("lr_decay")

# how each quantity is written: hyper-parameters as PyTorch's documentation names them (but η
# is the learning rate throughout nnsolve, so Adagrad's lr_decay, η in PyTorch's pseudo-code,
# is written ηᵈᵉᶜᵃʸ; its initial_accumulator_value is τ there and here)
_HYPER_SYMBOLS = {"lr": Sym("eta"), "momentum": Sym("mu"), "dampening": Sym("tau"),
                  "weight_decay": Sym("lambda"), "epsilon": Sym("epsilon"),
                  "alpha": Sym("alpha"), "beta1": Sym("beta", sub=1),
                  "beta2": Sym("beta", sub=2), "lr_decay": Sym("eta", power="decay"),
                  "initial_accumulator_value": Sym("tau")}
# the quantities of one step that are not plain letters: m̂ₜ, v̂ₜ, ṽₜ, η̃ₜ, gᵃᵛᵉₜ, vᵐᵃˣₜ
_DERIVED = {"m_hat": lambda s: Sym("m", hat=True, sub=s),
            "v_hat": lambda s: Sym("v", hat=True, sub=s),
            "v_tilde": lambda s: Sym("v", tilde=True, sub=s),
            "lr_tilde": lambda s: Sym("eta", tilde=True, sub=s),
            "g_ave": lambda s: Sym("g", power="ave", sub=s),
            "v_max": lambda s: Sym("v", power="max", sub=s)}
# a state's name in running text and table headers (plain strings): gᵃᵛᵉ, vᵐᵃˣ; m, v, s, ...
_STATE_TEXT = {"g_ave": "gᵃᵛᵉ", "v_max": "vᵐᵃˣ"}


def state_text(key: str) -> str:
    """How a state is named in plain text (gᵃᵛᵉ for g_ave), to be followed by its step."""
    return _STATE_TEXT.get(key, key)


def symbols(e, t: int, theta: Expr, state_prefix: str = "") -> Expr:
    """The formula with symbols for its leaves: g₂, m₁, m̂₂, β₁, the parameter's own symbol."""
    def leaf(v: V) -> Expr:
        if v.key == "theta":
            return theta
        if v.key == "t":
            return Num(t)
        if v.key in _HYPER_SYMBOLS:
            return _HYPER_SYMBOLS[v.key]
        step = t - 1 if v.prev else t
        if v.key in _DERIVED:
            return _DERIVED[v.key](step)
        return Sym(v.key, sub=step)
    return _map(e, leaf)


def numbers(e, env: dict, idx=None) -> Expr:
    """The formula with the numbers of one element (``idx`` into the arrays) for its leaves."""
    def leaf(v: V) -> Expr:
        x = env[_key(v)]
        if isinstance(x, np.ndarray):
            x = x[idx] if idx is not None else (x.ravel()[0] if x.size == 1 else x)
            if isinstance(x, np.ndarray):
                return Mat(x)
            if isinstance(x, np.floating):
                x = float(x)
        return Num(x)
    return _map(e, leaf)


def matrices(e, env: dict) -> Expr:
    """The formula with whole arrays (matrices, vectors) for its leaves."""
    return numbers(e, env, None)


def _key(v: V) -> str:
    return v.key + "'" if v.prev else v.key


def _map(e, leaf):
    """A copy of a formula tree with every V leaf replaced."""
    if isinstance(e, V):
        return leaf(e)
    if not isinstance(e, Expr):
        return e
    values = []
    for name in e._fields:
        x = getattr(e, name)
        if isinstance(x, Expr):
            x = _map(x, leaf)
        elif isinstance(x, tuple):
            x = tuple(_map(i, leaf) if isinstance(i, Expr) else i for i in x)
        values.append(x)
    return type(e)(*values)


def _is_float(x) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype != object
    return isinstance(x, (float, np.floating))


def _to_float(x):
    return as_float(x) if isinstance(x, np.ndarray) else float(x)


def _binary(f, a, b):
    """a op b, in float64 when either side is floating point (exact Fractions otherwise)."""
    if _is_float(a) or _is_float(b):
        a, b = _to_float(a), _to_float(b)
    return f(a, b)


def _maximum(a, b):
    """max(a, b) element by element (exact on Fractions)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        out = np.empty(a.shape, dtype=object if a.dtype == object or b.dtype == object
                       else float)
        for i in np.ndindex(a.shape):
            out[i] = max(a[i], b[i])
        return out
    return max(a, b)


def evaluate(e, env: dict):
    """The value of a rule's formula: element-wise on whole arrays."""
    if isinstance(e, V):
        return env[_key(e)]
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Paren):
        return evaluate(e.arg, env)
    if isinstance(e, Add):
        out = evaluate(e.terms[0], env)
        for term in e.terms[1:]:
            out = _binary(lambda a, b: a + b, out, evaluate(term, env))
        return out
    if isinstance(e, Sub):
        return _binary(lambda a, b: a - b, evaluate(e.left, env), evaluate(e.right, env))
    if isinstance(e, Mul):
        out = evaluate(e.factors[0], env)
        for f in e.factors[1:]:
            out = _binary(lambda a, b: a * b, out, evaluate(f, env))
        return out
    if isinstance(e, Frac):
        return _binary(lambda a, b: a / b, evaluate(e.num, env), evaluate(e.den, env))
    if isinstance(e, Pow):
        base, exp = evaluate(e.base, env), evaluate(e.exp, env)
        return base ** int(exp) if not _is_float(base) else _to_float(base) ** int(exp)
    if isinstance(e, Sqrt):
        x = evaluate(e.arg, env)
        return np.sqrt(as_float(x)) if isinstance(x, np.ndarray) else math.sqrt(x)
    if isinstance(e, Neg):
        return -evaluate(e.arg, env)
    if isinstance(e, Call) and e.name == "max" and len(e.args) == 2:
        return _binary(_maximum, evaluate(e.args[0], env), evaluate(e.args[1], env))
    raise TypeError(f"an update rule cannot hold {type(e).__name__}")


# --- the optimizers ---------------------------------------------------------------------------

def _weight_decay(h) -> list:
    """g ← g + λθ (PyTorch's L2 weight decay, into the gradient), when λ ≠ 0."""
    return [Rule("g", Add((G, _dot(LAM, THETA))))] if h["weight_decay"] != 0 else []


def _maximize(h) -> list:
    """g ← −g when maximizing: PyTorch's code negates the gradient before anything else."""
    return [Rule("g", Neg(G))] if h.get("maximize") else []


def _gradient(h, mistake) -> list:
    """The rules that make the gradient a step uses: −g to maximize, then the weight decay."""
    return _maximize(h) + ([] if mistake == "weight_decay_forgotten" else _weight_decay(h))


def _sgd(h, t, mistake=None):
    rules = _gradient(h, mistake)
    if h["momentum"] == 0:
        return rules + [Rule("theta", Sub(THETA, _dot(LR, G)))]
    if t == 1:     # PyTorch starts the buffer at the gradient itself, undamped
        first = _dot(_one_minus(TAU), G) if mistake == "dampening_at_first_step" else G
        buffer = Rule("b", first)
    else:
        new = _dot(_one_minus(TAU), G) if h["dampening"] != 0 else G
        buffer = Rule("b", Add((_dot(MU, V("b", True)), new)))
    if h["nesterov"] and mistake != "nesterov_ignored":
        step = Paren(Add((G, _dot(MU, V("b")))))
        return rules + [buffer, Rule("theta", Sub(THETA, _dot(LR, step)))]
    if mistake == "momentum_before_gradient":
        return rules + [Rule("theta", Sub(THETA, _dot(LR, V("b", True)))), buffer]
    return rules + [buffer, Rule("theta", Sub(THETA, _dot(LR, V("b"))))]


def _root(x, eps_inside: bool):
    """√x + ε as PyTorch adds ε, or √(x + ε) (the mistake)."""
    return Sqrt(Add((x, EPS))) if eps_inside else Add((Sqrt(x), EPS))


def _adagrad(h, t, mistake=None):
    rules = _gradient(h, mistake)
    lr = LR
    if h["lr_decay"] != 0:       # η̃ = η/(1 + (t − 1)·lr_decay): no decay at t = 1
        steps = T if mistake == "lr_decay_from_t" else Paren(Sub(T, Num(1)))
        rules.append(Rule("lr_tilde", Frac(LR, Paren(Add((Num(1), _dot(steps, LR_DECAY))))),
                          False))
        lr = V("lr_tilde")
    if t == 1 and mistake == "initial_accumulator_ignored":     # s₁ ← g₁², as if s₀ = 0
        rules.append(Rule("s", Pow(G, Num(2))))
    else:
        rules.append(Rule("s", Add((V("s", True), Pow(G, Num(2))))))
    return rules + [
        Rule("theta", Sub(THETA, _dot(lr, Frac(G, _root(V("s"),
                                                      mistake == "epsilon_inside_root"))))),
    ]


def _rmsprop(h, t, mistake=None):
    rules = _gradient(h, mistake)
    a, one_a = (_one_minus(ALPHA), ALPHA) if mistake == "alpha_swapped" else \
        (ALPHA, _one_minus(ALPHA))
    rules.append(Rule("v", Add((_dot(a, V("v", True)), _dot(one_a, Pow(G, Num(2)))))))
    var = V("v")
    if h["centered"]:            # the variance: v minus the square of the gradient's average
        rules.append(Rule("g_ave", Add((_dot(a, V("g_ave", True)), _dot(one_a, G)))))
        rules.append(Rule("v_tilde", V("v") if mistake == "centered_mean_not_subtracted" else
                          Sub(V("v"), Pow(Paren(V("g_ave")), Num(2))), False))
        var = V("v_tilde")
    scaled = Frac(G, _root(var, mistake == "epsilon_inside_root"))
    if h["momentum"] != 0:
        return rules + [Rule("u", Add((_dot(MU, V("u", True)), scaled))),
                        Rule("theta", Sub(THETA, _dot(LR, V("u"))))]
    return rules + [Rule("theta", Sub(THETA, _dot(LR, scaled)))]


def _adam(h, t, mistake=None, decoupled=False):
    b1, b2 = (B2, B1) if mistake == "betas_swapped" else (B1, B2)
    rules = _maximize(h)
    if h["weight_decay"] != 0 and mistake != "weight_decay_forgotten":
        swapped = mistake in ("weight_decay_coupled", "weight_decay_decoupled")
        if decoupled != swapped:           # AdamW's rule (or, mistaken, in Adam)
            rules.append(Rule("theta", Sub(THETA, _dot(LR, LAM, THETA))))
        else:
            rules += _weight_decay(h)
    rules += [Rule("m", Add((_dot(b1, V("m", True)), _dot(_one_minus(b1), G)))),
              Rule("v", Add((_dot(b2, V("v", True)), _dot(_one_minus(b2), Pow(G, Num(2))))))]
    forgotten = mistake == "bias_correction_forgotten"

    def corrected(x, b):
        return x if forgotten else Frac(x, Sub(Num(1), Pow(b, T)))

    rules.append(Rule("m_hat", corrected(V("m"), b1), False))
    denominator = V("v_hat")
    if not h.get("amsgrad"):
        rules.append(Rule("v_hat", corrected(V("v"), b2), False))
    elif mistake == "amsgrad_max_after_correction":     # the maximum of the corrected v̂
        rules += [Rule("v_hat", corrected(V("v"), b2), False),
                  Rule("v_max", Call("max", (V("v_max", True), V("v_hat"))))]
        denominator = V("v_max")
    else:           # PyTorch keeps the maximum of v itself, then corrects it
        rules += [Rule("v_max", Call("max", (V("v_max", True), V("v")))),
                  Rule("v_hat", corrected(V("v_max"), b2), False)]
    rules.append(Rule("theta", Sub(THETA, _dot(LR, Frac(V("m_hat"), _root(
        denominator, mistake == "epsilon_inside_root"))))))
    return rules


def _adamw(h, t, mistake=None):
    return _adam(h, t, mistake, decoupled=True)


def _check_sgd(h) -> tuple | None:
    if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
        return ("nesterov", "nesterov needs momentum > 0 and dampening 0 (as in PyTorch)")
    return None


def _check_betas(h) -> tuple | None:
    for k in ("beta1", "beta2"):
        if not 0 <= h[k] < 1:
            return (k, f"expected {k} in [0, 1), got {h[k]}")
    return None


def _check_alpha(h) -> tuple | None:
    if not 0 <= h["alpha"] <= 1:
        return ("alpha", f"expected alpha in [0, 1], got {h['alpha']}")
    return None


@dataclass(frozen=True)
class OptimizerDef:
    """One optimizer of torch.optim: its hyper-parameters with PyTorch's defaults, its rules
    ``rules(h, t, mistake)``, its state (our key → PyTorch's name) and its typical mistakes."""

    name: str
    torch: str                               # torch.optim class name
    defaults: dict                           # hyper-parameter → PyTorch's default
    rules: Callable
    state: Callable                          # h → {key: PyTorch state name}
    mistakes: Callable                       # h → names of the mistakes that can show
    check: Callable = lambda h: None         # h → (field, message) or None
    counts_steps: bool = True                # PyTorch's state holds `step`
    initial: Callable = lambda h: {}         # h → {state key: its value before step 1, if ≠ 0}


def _check_adagrad(h) -> tuple | None:
    for k in ("lr_decay", "initial_accumulator_value"):
        if h[k] < 0:
            return (k, f"expected {k} ≥ 0, got {h[k]}")
    return None


def _if(cond, *names) -> list:
    return list(names) if cond else []


def _adam_state(h) -> dict:
    return {"m": "exp_avg", "v": "exp_avg_sq", **({"v_max": "max_exp_avg_sq"}
                                                  if h["amsgrad"] else {})}


def _adam_mistakes(wd_mistake):
    return lambda h: (["bias_correction_forgotten", "betas_swapped", "epsilon_inside_root"] +
                      _if(h["weight_decay"] != 0, wd_mistake, "weight_decay_forgotten") +
                      _if(h["amsgrad"], "amsgrad_max_after_correction"))


_F = Fraction
_ADAM = {"beta1": _F(9, 10), "beta2": _F(999, 1000), "epsilon": _F(1, 10**8), "amsgrad": False,
         "maximize": False}
OPTIMIZERS = {d.name: d for d in [
    OptimizerDef(
        "sgd", "SGD", {"momentum": _F(0), "dampening": _F(0), "nesterov": False,
                       "weight_decay": _F(0), "maximize": False},
        _sgd, lambda h: {"b": "momentum_buffer"} if h["momentum"] != 0 else {},
        lambda h: _if(h["momentum"] != 0 and not h["nesterov"], "momentum_before_gradient") +
        _if(h["dampening"] != 0, "dampening_at_first_step") +
        _if(h["nesterov"], "nesterov_ignored") +
        _if(h["weight_decay"] != 0, "weight_decay_forgotten"),
        _check_sgd, counts_steps=False),
    OptimizerDef(
        "adagrad", "Adagrad", {"lr_decay": _F(0), "weight_decay": _F(0),
                               "initial_accumulator_value": _F(0), "epsilon": _F(1, 10**10),
                               "maximize": False},
        _adagrad, lambda h: {"s": "sum"},
        lambda h: ["epsilon_inside_root"] +
        _if(h["weight_decay"] != 0, "weight_decay_forgotten") +
        _if(h["lr_decay"] != 0, "lr_decay_from_t") +
        _if(h["initial_accumulator_value"] != 0, "initial_accumulator_ignored"),
        _check_adagrad, initial=lambda h: {"s": h["initial_accumulator_value"]}),
    OptimizerDef(
        "rmsprop", "RMSprop", {"alpha": _F(99, 100), "epsilon": _F(1, 10**8), "momentum": _F(0),
                               "weight_decay": _F(0), "centered": False, "maximize": False},
        _rmsprop, lambda h: {"v": "square_avg", **({"g_ave": "grad_avg"} if h["centered"]
                                                   else {}),
                             **({"u": "momentum_buffer"} if h["momentum"] != 0 else {})},
        lambda h: ["alpha_swapped", "epsilon_inside_root"] +
        _if(h["weight_decay"] != 0, "weight_decay_forgotten") +
        _if(h["centered"], "centered_mean_not_subtracted"),
        _check_alpha),
    OptimizerDef(
        "adam", "Adam", {**_ADAM, "weight_decay": _F(0)},
        _adam, _adam_state, _adam_mistakes("weight_decay_decoupled"), _check_betas),
    OptimizerDef(
        "adamw", "AdamW", {**_ADAM, "weight_decay": _F(1, 100)},
        _adamw, _adam_state, _adam_mistakes("weight_decay_coupled"), _check_betas),
]}

# what each mistake is, in words (``check`` names it)
MISTAKE_TEXT = {
    "bias_correction_forgotten": ("bias correction forgotten",
                                  "Adam's bias correction forgotten (m̂ = m, v̂ = v instead of "
                                  "m/(1 − β₁ᵗ), v/(1 − β₂ᵗ))"),
    "betas_swapped": ("β₁ and β₂ swapped", "β₁ and β₂ swapped (m averaged with β₂, v with β₁)"),
    "epsilon_inside_root": ("ε inside the root", "ε added inside the square root "
                            "(√(v + ε) instead of PyTorch's √v + ε)"),
    "momentum_before_gradient": ("momentum before gradient",
                                 "momentum applied before the gradient (the step taken with "
                                 "the previous buffer bₜ₋₁, before gₜ is added to it)"),
    "dampening_at_first_step": ("dampened first buffer", "the first momentum buffer dampened "
                                "(b₁ = (1 − τ)g₁; PyTorch starts it at g₁)"),
    "nesterov_ignored": ("Nesterov ignored", "the Nesterov correction left out "
                         "(θ ← θ − ηb instead of θ − η(g + μb))"),
    "alpha_swapped": ("α and 1 − α swapped", "α and 1 − α swapped in RMSprop's average "
                      "(v ← (1 − α)v + αg²)"),
    "weight_decay_forgotten": ("weight decay forgotten", "the weight decay λθ left out"),
    "centered_mean_not_subtracted": ("centered variance without gᵃᵛᵉ²", "centered RMSprop's "
                                     "variance taken without subtracting the squared average "
                                     "gradient (dividing by √v instead of √(v − (gᵃᵛᵉ)²))"),
    "lr_decay_from_t": ("lr_decay from t", "Adagrad's learning-rate decay counted from t "
                        "instead of t − 1 (η/(1 + t·ηᵈᵉᶜᵃʸ): PyTorch does not decay step 1)"),
    "initial_accumulator_ignored": ("initial accumulator ignored", "Adagrad's sum started at 0 "
                                    "instead of initial_accumulator_value τ"),
    "amsgrad_max_after_correction": ("AMSGrad max after bias correction", "AMSGrad's maximum "
                                     "taken of the bias-corrected v̂ instead of v itself "
                                     "(PyTorch keeps vᵐᵃˣ = max(vᵐᵃˣ, v), then divides it by "
                                     "1 − β₂ᵗ)"),
    "weight_decay_coupled": ("weight decay coupled", "AdamW's weight decay added to the "
                             "gradient as Adam's (g + λθ) instead of θ ← θ − ηλθ"),
    "weight_decay_decoupled": ("weight decay decoupled", "Adam's weight decay applied as "
                               "AdamW's (θ ← θ − ηλθ) instead of added to the gradient "
                               "(g + λθ)"),
}


@dataclass
class StepTrace:
    """One step of one parameter array: each rule with the values before it and its result."""

    t: int
    rules: list                    # [(Rule, env before, value)]
    theta_new: object
    state: dict                    # the state after the step, by our keys


@dataclass(frozen=True)
class Optimizer:
    """An optimizer with its hyper-parameters (``hyper`` holds ``lr`` too, exact Fractions)."""

    defn: OptimizerDef
    hyper: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.defn.name

    @property
    def lr(self):
        return self.hyper["lr"]

    def state_names(self) -> dict:
        """Our state keys → PyTorch's names (``exp_avg``, ...)."""
        return self.defn.state(self.hyper)

    def rules(self, t: int, mistake: str | None = None) -> list:
        """The rules of step t (t from 1), PyTorch's or with a mistake."""
        return self.defn.rules(self.hyper, t, mistake)

    def mistakes(self) -> list:
        """The mistakes that can show with these hyper-parameters."""
        return self.defn.mistakes(self.hyper)

    def initial(self) -> dict:
        """The state's values before step 1 by our keys (0 unless PyTorch starts it otherwise:
        Adagrad's sum at initial_accumulator_value)."""
        start = self.defn.initial(self.hyper)
        return {k: start.get(k, Fraction(0)) for k in self.state_names()}

    def init_state(self, theta) -> dict:
        """The state before step 1, as PyTorch starts it (zeros, or Adagrad's τ)."""
        out = {}
        for k, x in self.initial().items():
            z = zeros_like_mode(theta, theta.shape)
            out[k] = z + (x if z.dtype == object else float(x)) if x != 0 else z
        return out

    def step(self, theta, g, state: dict, t: int, mistake: str | None = None) -> StepTrace:
        """One update of a parameter array θ with gradient g, from ``state`` (after step t−1)."""
        env = dict(self.hyper)
        env.update({"theta": theta, "g": g, "t": t})
        for k, v in state.items():
            env[k + "'"] = v
        trace = []
        for rule in self.rules(t, mistake):
            before = dict(env)
            value = evaluate(rule.expr, env)
            if not isinstance(value, np.ndarray):
                value = np.full(np.shape(theta), value, dtype=object if not _is_float(value)
                                else float)
            env[rule.target] = value
            trace.append((rule, before, value))
        new_state = {k: env.get(k, env[k + "'"]) for k in self.state_names()}
        return StepTrace(t, trace, env["theta"], new_state)

    def torch_state(self, state: dict, t: int) -> dict:
        """The state under PyTorch's names (with ``step`` where PyTorch keeps it)."""
        out = {self.state_names()[k]: v for k, v in state.items()}
        if self.defn.counts_steps:
            out["step"] = t
        return out


def make(name: str, hyper: dict) -> Optimizer:
    """An optimizer by name, its hyper-parameters (``lr`` required) over PyTorch's defaults."""
    d = OPTIMIZERS[name]
    h = dict(d.defaults)
    h.update(hyper)
    return Optimizer(d, h)


# --- the rules written out --------------------------------------------------------------------

def _lhs(rule: Rule, t: int, theta: Expr) -> Expr:
    return theta if rule.target == "theta" else symbols(V(rule.target), t, theta)


def _rel(rule: Rule) -> str:
    return "←" if rule.assign else "="


def element_equations(trace: StepTrace, theta: Expr, gradient: Expr, g, idx) -> list:
    """One parameter's step, rule by rule with its numbers: g₂ = ∂J/∂w = 2, m₂ ← β₁·m₁ + … =
    0.9 · 0.2 + (1 − 0.9) · 2 = 0.38, …, w ← w − η·m̂₂/(√v̂₂ + ε) = … (``idx`` into the arrays)."""
    from ..solution import Equation
    t = trace.t
    out = [Equation([Sym("g", sub=t), gradient, Num(_item(g, idx))])]
    for rule, before, value in trace.rules:
        parts = [_lhs(rule, t, theta), symbols(rule.expr, t, theta)]
        if not _plain(rule.expr):        # b₁ ← g₁ = 2, not b₁ ← g₁ = 2 = 2
            parts.append(numbers(rule.expr, before, idx))
        parts.append(Num(_item(value, idx)))
        out.append(Equation(parts, rels=[_rel(rule)] + ["="] * (len(parts) - 2)))
    return out


def array_equations(trace: StepTrace, theta: Expr, gradient: Expr, g) -> list:
    """A whole parameter array's step: each rule in symbols, then its matrix (element-wise)."""
    from ..solution import Equation
    t = trace.t
    out = [Equation([Sym("g", sub=t), gradient, _val(g)])]
    for rule, _before, value in trace.rules:
        out.append(Equation([_lhs(rule, t, theta), symbols(rule.expr, t, theta), _val(value)],
                            rels=[_rel(rule), "="]))
    return out


def rule_equations(opt: Optimizer, t: int, theta: Expr = Sym("theta")) -> list:
    """The rules of step t in symbols alone (for the statement of the method)."""
    from ..solution import Equation
    return [Equation([_lhs(r, t, theta), symbols(r.expr, t, theta)], rels=[_rel(r)])
            for r in opt.rules(t)]


def _plain(e) -> bool:
    """A rule whose numbers would only repeat its value: b₁ ← g₁, g₁ ← −g₁."""
    return isinstance(e, V) or (isinstance(e, Neg) and isinstance(e.arg, V))


def _item(a, idx):
    x = a[idx]
    return float(x) if isinstance(x, np.floating) else x


def _val(a) -> Expr:
    a = np.asarray(a)
    return Num(_item(a.ravel(), 0)) if a.size == 1 else Mat(a)
