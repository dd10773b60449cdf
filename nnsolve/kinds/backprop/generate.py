"""New backprop exercises with clean numbers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text, yaml_number, yaml_value)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"W", "b"}


def new_backprop(seed: int, sizes=(1, 2, 2, 1), activation: str = "relu",
                 loss: str = "squared_error", bias: bool = False,
                 allow_zero: bool = False, command: str | None = None) -> Generated:
    """A fully connected network (sizes: inputs, then each layer's units) with clean numbers."""
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise GenerationError("expected layer sizes such as 1,2,2,1: the inputs, then each "
                              "layer's units")
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
            text = _backprop_text(command, seed, x, y, weights, biases, act, loss, lr)
            ok = _backprop_ok(text, activation, allow_zero)
            if ok is not None:
                return Generated("backprop", text, ok)
    raise GenerationError(f"no clean backprop problem found in {MAX_TRIES} tries; try another "
                          "--seed, smaller layers, or --allow-zero")


def _draw_weight(rng, frac: bool) -> Fraction:
    if frac and rng.random() < 0.3:
        return Fraction(rng.choice([-3, -1, 1, 3]), 2)
    return Fraction(rng.choice([-2, -1, 1, 2]))


def _backprop_text(command, seed, x, y, weights, biases, act, loss, lr) -> str:
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
    return "\n".join(lines) + "\n"


def _backprop_ok(text: str, activation: str, allow_zero: bool):
    """The solution's data when the problem is clean and worth working, else None."""
    problem, sol = solve_text(text, "backprop")
    data = sol.data
    step = data["steps"][0]
    if not is_clean(data):
        return None
    if step["loss"] == 0:
        return None
    for layer in step["layers"]:
        if all(v == 0 for v in np.asarray(layer["dJ_dW"]).ravel().tolist()):
            return None     # a layer that learns nothing teaches nothing
    from ...ops.registry import activation_class
    if not allow_zero and activation_class(activation).gated:
        for layer, spec in zip(step["layers"], problem.layers):
            if activation_class(spec.activation.name).gated and \
                    any(v == 0 for v in np.asarray(layer["a"]).ravel().tolist()):
                return None
    return data


# --- conv -------------------------------------------------------------------------------------
