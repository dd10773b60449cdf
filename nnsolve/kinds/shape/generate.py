"""New output-size exercises."""

from __future__ import annotations

from ...errors import NnsolveError
from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"input_shape", "type"}


def new_shape(seed: int, blocks: int = 2, channels: int | None = None, size: int | None = None,
              command: str | None = None) -> Generated:
    """A small CNN stack: conv (+ReLU, sometimes pooling) blocks, then flatten and dense."""
    rng = rng_for("shape", seed)
    command = command or f"nnsolve new shape --seed {seed}"
    for _ in range(MAX_TRIES):
        C = channels or rng.choice([1, 3])
        S = size or rng.choice([8, 12, 16, 28, 32])
        layers = []
        for b in range(blocks):
            k = rng.choice([3, 3, 5, 2])
            s = rng.choice([1, 1, 2])
            p = rng.choice([0, 1, 2]) if k > 2 else 0
            f = rng.choice([4, 6, 8, 16])
            layers.append(f"  - conv: {{filters: {f}, kernel: {k}, stride: {s}, padding: {p}}}")
            layers.append("  - relu")
            if rng.random() < 0.6:
                layers.append("  - pool: {type: max, size: 2}")
        layers.append("  - flatten")
        layers.append(f"  - dense: {{units: {rng.choice([10, 16, 32])}}}")
        text = "\n".join([header(command).rstrip("\n"), "kind: shape",
                          f'title: "Output shapes and parameters (exercise {seed})"',
                          f"input: [{C}, {S}, {S}]", "layers:"] + layers) + "\n"
        try:
            _problem, sol = solve_text(text, "shape")
        except NnsolveError:
            continue
        shapes = [l["output_shape"] for l in sol.data["layers"]]
        if any(min(s) < 2 for s in shapes[:-2]) or not is_clean(sol.data):
            continue
        if sol.data["total_parameters"] > 10 ** 6:
            continue
        return Generated("shape", text, sol.data)
    raise GenerationError(f"no shape problem found in {MAX_TRIES} tries; try fewer --blocks or "
                          "a larger --size")


# --- regularize -------------------------------------------------------------------------------
