"""New convolution exercises with clean numbers."""

from __future__ import annotations

import numpy as np

from ...errors import NnsolveError
from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text, yaml_value)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"input_shape", "kernel_shape", "stride", "padding", "dilation", "mode", "type",
             "size"}


def new_conv(seed: int, input_size=(4, 4), kernel_size=(2, 2), stride: int = 1,
             padding: int = 0, mode: str = "cross_correlation", activation: str | None = None,
             pool: str | None = None, allow_zero: bool = False,
             command: str | None = None) -> Generated:
    """A 2-D convolution of small whole numbers (optionally ReLU and 2×2 pooling)."""
    rng = rng_for("conv", seed)
    command = command or f"nnsolve new conv --seed {seed}"
    H, W = input_size
    kh, kw = kernel_size
    if H * W > 144 or kh * kw > 25:
        raise GenerationError("expected an input of at most 144 numbers and a kernel of at "
                              "most 5×5, for an exercise written out by hand")
    for _ in range(MAX_TRIES):
        I = [[rng.randint(-2, 5) for _ in range(W)] for _ in range(H)]
        K = [[rng.choice([-1, 0, 1, 2]) for _ in range(kw)] for _ in range(kh)]
        if all(v == 0 for r in K for v in r):
            continue
        if mode == "convolution" and K == [r[::-1] for r in K[::-1]]:
            continue    # a kernel the flip leaves alone does not show the flip
        lines = [header(command).rstrip("\n"), "kind: conv",
                 f'title: "{"Convolution" if mode == "convolution" else "Cross-correlation"} '
                 f'(exercise {seed})"',
                 f"input: {yaml_value(I)}", f"kernel: {yaml_value(K)}",
                 f"stride: {stride}", f"padding: {padding}", f"mode: {mode}"]
        if activation:
            lines.append(f"activation: {activation}")
        if pool:
            lines.append(f"pool: {{type: {pool}, size: 2, stride: 2}}")
        text = "\n".join(lines) + "\n"
        try:
            problem, sol = solve_text(text, "conv")
        except NnsolveError as e:
            raise GenerationError(f"these sizes make no exercise: {e}") from None
        if not is_clean(sol.data):
            continue
        out = np.asarray(sol.data["output"], dtype=object)
        if activation and not allow_zero:
            from ...solve import SolveOptions, solve
            from dataclasses import replace
            z = solve(replace(problem, activation=None, pool=None),
                      SolveOptions(detail="summary")).data["output"]
            if any(v == 0 for v in np.asarray(z, dtype=object).ravel().tolist()):
                continue
        if all(v == 0 for v in out.ravel().tolist()):
            continue
        return Generated("conv", text, sol.data)
    raise GenerationError(f"no clean conv problem found in {MAX_TRIES} tries; try another "
                          "--seed or --allow-zero")


# --- shape ------------------------------------------------------------------------------------
