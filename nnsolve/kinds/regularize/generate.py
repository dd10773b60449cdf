"""New p-norm penalty exercises with clean numbers."""

from __future__ import annotations

from fractions import Fraction

from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, one_decimal,
                           rng_for, solve_text, yaml_number, yaml_value)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"p", "alpha", "weights", "loss_gradient", "learning_rate"}


def new_regularize(seed: int, p: int | None = None, count: int = 3,
                   command: str | None = None) -> Generated:
    """α‖w‖ₚᵖ with p in {1, 2, 3}, a loss gradient and one step, all clean."""
    rng = rng_for("regularize", seed)
    command = command or f"nnsolve new regularize --seed {seed}"
    if not 1 <= count <= 12:
        raise GenerationError("expected 1 to 12 weights")
    for attempt in range(MAX_TRIES):
        pp = p or rng.choice([1, 2, 3])
        frac = attempt > 50
        w = [Fraction(rng.choice([-3, -2, -1, 1, 2, 3])) if not frac else one_decimal(rng, -2, 2)
             for _ in range(count)]
        if not any(v < 0 for v in w):
            continue    # a negative weight shows the |w| and sign(w) of the gradient
        alpha = Fraction(rng.choice(["0.1", "0.01", "0.05", "0.5"]))
        lg = [one_decimal(rng, -1, 1) for _ in range(count)]
        eta = rng.choice(["0.1", "0.01"])
        text = "\n".join([
            header(command).rstrip("\n"), "kind: regularize",
            f'title: "A p = {pp} penalty (exercise {seed})"',
            f"p: {pp}", f"alpha: {yaml_number(alpha)}", f"weights: {yaml_value(w)}",
            f"loss_gradient: {yaml_value(lg)}", f"learning_rate: {eta}"]) + "\n"
        _problem, sol = solve_text(text, "regularize")
        if is_clean(sol.data):
            return Generated("regularize", text, sol.data)
    raise GenerationError(f"no clean regularize problem found in {MAX_TRIES} tries; try another "
                          "--seed")
