"""New backprop exercises with clean numbers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text, yaml_number, yaml_value)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"W", "K", "b"}
MAX_LAYERS = 6      # layers of weights in a new exercise (7 took seconds to find, 14 minutes)


# the optimizer of `--optimizer`, as written in the problem: sgd means momentum (plain SGD is
# the default gradient descent already)
OPTIMIZERS = {"sgd": "{name: sgd, momentum: 0.9}", "adagrad": "adagrad",
              "rmsprop": "rmsprop", "adam": "adam", "adamw": "adamw"}
EXACT_OPTIMIZERS = ("sgd",)
# the newer torch.optim options an exercise may ask for (`new backprop --centered`, ...: the
# problem's field with hyphens), in the order they are written; which optimizer takes which is
# ops/optim.py's table of defaults
OPTIONS = ("centered", "amsgrad", "lr_decay", "initial_accumulator_value", "maximize")
# the hyper-parameters an option brings: AMSGrad's maximum binds (vᵐᵃˣ ≠ v) at step 2 only
# where g₂² < (1 − β₂)g₁², which PyTorch's β₂ = 0.999 makes a gradient that all but vanishes
# (|g₂| < 0.03·|g₁|: seconds to a minute of search, per exercise); with β₂ = 0.5 it is
# |g₂| < 0.71·|g₁|, drawn within a few tries (0.9: 0.32·|g₁|, about 8 times as many)
IMPLIED = {"amsgrad": {"beta2": Fraction(1, 2)}}
# what an option does from step 2 on only, so that an exercise of one step would not show it
_FROM_STEP_2 = {"lr_decay": "decays η from step 2 on (η̃₁ = η)",
                "amsgrad": "keeps the largest v from step 2 on (vᵐᵃˣ₁ = v₁)"}


def new_backprop(seed: int, sizes=(1, 2, 2, 1), activation: str = "relu",
                 loss: str = "squared_error", bias: bool = False,
                 allow_zero: bool = False, command: str | None = None,
                 optimizer: str | None = None, steps: int = 1,
                 options: dict | None = None) -> Generated:
    """A fully connected network (sizes: inputs, then each layer's units) with clean numbers.

    With an ``optimizer``: its rule over ``steps`` steps. SGD with momentum stays exact, and the
    first step is then clean throughout; a square root (adagrad, rmsprop, adam, adamw) makes the
    update and the state float, so only the forward and backward pass of the first step are
    clean (the numbers a student computes before the rule).

    ``options``: the optimizer's newer torch.optim options by their names in a problem
    (``{"centered": True}``, ``{"lr_decay": Fraction(1, 10)}``; see OPTIONS), each only with an
    optimizer that takes it. Each one changes the exercise's answer: the search keeps a problem
    only when solving it without that option would update some parameter differently (AMSGrad's
    maximum binds: some vᵐᵃˣ ≠ v)."""
    options = optimizer_options(optimizer, options or {}, steps)
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise GenerationError("expected layer sizes such as 1,2,2,1: the inputs, then each "
                              "layer's units")
    if len(sizes) - 1 > MAX_LAYERS:
        # a deep ReLU net whose every unit is active is found by chance (about 2⁻ᴸ of draws)
        raise GenerationError(f"too many layers for an exercise written out by hand (at most "
                              f"{MAX_LAYERS}, got {len(sizes) - 1})")
    if sum(a * b for a, b in zip(sizes, sizes[1:])) > 60:
        raise GenerationError("too many weights for an exercise written out by hand (at most "
                              "60)")
    rng = rng_for("backprop", seed)
    command = command or f"nnsolve new backprop --seed {seed}"
    from ...ops.registry import activation_class
    # a slope (leaky ReLU's) of 0.1 keeps the numbers clean
    act = f"{{name: {activation}, alpha: 0.1}}" if "alpha" in activation_class(activation).options \
        else activation
    for attempt in range(MAX_TRIES):
        # the first tries use whole numbers only; later ones allow halves for variety
        frac = attempt > MAX_TRIES // 2
        weights = [[[_draw_weight(rng, frac) for _ in range(n_in)] for _ in range(n_out)]
                   for n_in, n_out in zip(sizes, sizes[1:])]
        biases = [[rng.randint(-2, 2) for _ in range(n)] for n in sizes[1:]] if bias else None
        x = [rng.randint(1, 4) if sizes[0] == 1 else rng.choice([-2, -1, 1, 2, 3])
             for _ in range(sizes[0])]
        y = [rng.randint(-4, 9) for _ in range(sizes[-1])]
        eta = rng.choice(["0.1", "0.01"])
        for lr in (eta, "0.01" if eta == "0.1" else "0.1"):
            text = _backprop_text(command, seed, x, y, weights, biases, act, loss, lr,
                                  optimizer, steps, options)
            ok = _backprop_ok(text, activation, allow_zero, optimizer)
            # each option changes the answer: solved without it (but with the hyper-parameters
            # it brings), some parameter is updated differently
            if ok is not None and all(
                    _changes(ok, _backprop_text(command, seed, x, y, weights, biases, act, loss,
                                                lr, optimizer, steps, options, without=key),
                             key)
                    for key in options):
                return Generated("backprop", text, ok)
    raise GenerationError(f"no clean backprop problem found in {MAX_TRIES} tries; try another "
                          "--seed, smaller layers, or --allow-zero")


def _draw_weight(rng, frac: bool) -> Fraction:
    if frac and rng.random() < 0.3:
        return Fraction(rng.choice([-3, -1, 1, 3]), 2)
    return Fraction(rng.choice([-2, -1, 1, 2]))


def _flag(key: str) -> str:
    """An option's name on the command line: the problem's field with hyphens."""
    return "--" + key.replace("_", "-")


def _takers(key: str) -> list:
    from ...ops.optim import OPTIMIZERS as DEFS
    return [name for name, d in DEFS.items() if key in d.defaults]


def _either(names: list, word: str = "or") -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def optimizer_options(optimizer: str | None, options: dict, steps: int) -> dict:
    """The newer options asked for, checked (each only with an optimizer that takes it, a number
    > 0 written exactly, and a second step where the option first acts then), in OPTIONS order;
    a flag that is False is left out. A GenerationError names the option as `new` spells it."""
    unknown = [k for k in options if k not in OPTIONS]
    if unknown:
        raise GenerationError(f"{unknown[0]} is not an option of `new backprop` (its optimizer "
                              f"options: {', '.join(OPTIONS)})")
    out = {}
    for key in OPTIONS:
        value = options.get(key, False)
        if value is False or value is None:
            continue
        takers = _takers(key)
        where = "every optimizer" if len(takers) == len(OPTIMIZERS) else _either(takers, "and")
        if optimizer is None:
            raise GenerationError(f"{_flag(key)} is an option of {where}: add --optimizer "
                                  f"{_either(takers)}")
        if optimizer not in takers:
            own = [_flag(k) for k in OPTIONS if optimizer in _takers(k)]
            raise GenerationError(f"{_flag(key)} is an option of {where}, not of {optimizer} "
                                  f"({optimizer} takes {_either(own, 'and')})")
        if value is not True:
            value = Fraction(value)
            if value <= 0:
                raise GenerationError(f"{_flag(key)}: expected a number > 0 (0 is PyTorch's "
                                      f"default, the exercise without it), got "
                                      f"{yaml_number(value)}")
            if Fraction(yaml_number(value)) != value:
                raise GenerationError(f"{_flag(key)}: expected a decimal number such as 0.1, "
                                      f"got {value}")
        if steps < 2 and key in _FROM_STEP_2:
            raise GenerationError(f"{_flag(key)} {_FROM_STEP_2[key]}: give --steps 2 or more")
        out[key] = value
    return out


def _optimizer_yaml(optimizer: str, options: dict, without: str | None = None) -> str:
    """The problem's `optimizer:` line: as before without options, else the flow mapping with
    the hyper-parameters they bring, then them (`{name: adam, beta2: 0.9, amsgrad: true}`);
    ``without``: one option left out (its hyper-parameters kept), to compare."""
    if not options:
        return OPTIMIZERS[optimizer]
    base = OPTIMIZERS[optimizer]
    fields = {k: v for key in options for k, v in IMPLIED.get(key, {}).items()}
    fields.update({k: v for k, v in options.items() if k != without})
    inner = base[1:-1] if base.startswith("{") else f"name: {base}"
    return "{" + ", ".join([inner] + [f"{k}: {'true' if v is True else yaml_number(v)}"
                                      for k, v in fields.items()]) + "}"


def _changes(data: dict, without: str, key: str) -> bool:
    """Whether an exercise's parameters, in some step, differ from those of the same problem
    solved without its option ``key`` (``without``: that problem's text). AMSGrad's does just
    where its maximum binds in some step, some vᵐᵃˣ ≠ v (then m ≠ 0, and θ moves otherwise),
    which the state shows without solving again."""
    if key == "amsgrad":
        return any(np.asarray(s["max_exp_avg_sq"], dtype=float).tolist() !=
                   np.asarray(s["exp_avg_sq"], dtype=float).tolist()
                   for step in data["steps"] for layer in step["layers"]
                   for s in layer.get("state", {}).values())
    _problem, sol = solve_text(without, "backprop")
    for ours, theirs in zip(data["steps"], sol.data["steps"]):
        for a, b in zip(ours["layers"], theirs["layers"]):
            for key in ("W_new", "b_new"):
                if a.get(key) is not None and np.asarray(a[key], dtype=float).tolist() != \
                        np.asarray(b[key], dtype=float).tolist():
                    return True
    return False


def _backprop_text(command, seed, x, y, weights, biases, act, loss, lr, optimizer=None,
                   steps=1, options=None, without=None) -> str:
    lines = [header(command).rstrip("\n"),
             "kind: backprop",
             f'title: "Backpropagation (exercise {seed})"',
             f"input: {yaml_value(x) if len(x) > 1 else yaml_number(x[0])}",
             f"target: {yaml_value(y) if len(y) > 1 else yaml_number(y[0])}",
             "layers:"]
    n = len(weights)
    for i, W in enumerate(weights):
        lines.append(f"  - weights: {yaml_value(W)}")
        if biases is not None:
            lines.append(f"    bias: {yaml_value(biases[i])}")
        lines.append(f"    activation: {act if i < n - 1 else 'linear'}")
    lines += [f"loss: {loss}", f"learning_rate: {lr}"]
    if optimizer is not None:
        lines.append(f"optimizer: {_optimizer_yaml(optimizer, options or {}, without)}")
        if optimizer not in EXACT_OPTIMIZERS:    # the header's promise, kept
            lines[0] = (f"# Generated by `{command}`; the forward and backward pass of step 1 "
                        f"are clean;\n# {optimizer}'s square root makes its update and state "
                        "approximate.")
    if steps > 1:
        lines.append(f"steps: {steps}")
    return "\n".join(lines) + "\n"


def _backprop_ok(text: str, activation: str, allow_zero: bool, optimizer=None):
    """The solution's data when the problem is clean and worth working, else None."""
    problem, sol = solve_text(text, "backprop")
    data = sol.data
    step = data["steps"][0]
    if optimizer is None:
        clean = is_clean(data)
    elif optimizer in EXACT_OPTIMIZERS:
        clean = is_clean(data)          # exact rules: every step clean, the state too
    else:                               # what comes before the square root
        clean = is_clean({k: v for k, v in step.items() if k != "layers"}) and all(
            is_clean({k: v for k, v in layer.items() if k not in ("W_new", "b_new", "state")})
            for layer in step["layers"])
    if not clean:
        return None
    if step["loss"] == 0:
        return None
    for layer in step["layers"]:
        if all(v == 0 for v in np.asarray(layer["dJ_dW"]).ravel().tolist()):
            return None     # a layer that learns nothing teaches nothing
    from ...ops.registry import activation_class
    if not allow_zero and activation_class(activation).gated:
        for layer, spec in zip(step["layers"], problem.layers):
            kinks = activation_class(spec.activation.name).kinks
            if any(v in kinks for v in np.asarray(layer["a"]).ravel().tolist()):
                return None
    return data


# --- conv -------------------------------------------------------------------------------------
