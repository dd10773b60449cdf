"""New output-size exercises: a small CNN stack, or a residual block."""

from __future__ import annotations

from ...errors import NnsolveError
from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"input_shape", "type"}


def _without(data, keys: set):
    """The data without ``keys`` (the counts a homework may leave large)."""
    if isinstance(data, dict):
        return {k: _without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [_without(v, keys) for v in data]
    return data


def new_shape(seed: int, blocks: int = 2, channels: int | None = None, size: int | None = None,
              command: str | None = None, residual: bool = False) -> Generated:
    """A small CNN stack: conv (+ReLU, sometimes pooling) blocks, then flatten and dense; with
    ``residual``, a stem convolution and ``blocks`` residual blocks (two 3×3 convolutions with
    batch norm, some halving the size with a 1×1 shortcut), then a global pool and dense."""
    rng = rng_for("shape" if not residual else "shape-residual", seed)
    command = command or f"nnsolve new shape --seed {seed}" + (" --residual" if residual
                                                                 else "")
    for _ in range(MAX_TRIES):
        C = channels or rng.choice([1, 3])
        S = size or rng.choice([8, 12, 16, 28, 32])
        layers = _residual_layers(rng, blocks) if residual else _plain_layers(rng, blocks)
        text = "\n".join([header(command).rstrip("\n"), "kind: shape",
                          f'title: "Output shapes and parameters (exercise {seed})"',
                          f"input: [{C}, {S}, {S}]", "layers:"] + layers) + "\n"
        try:
            _problem, sol = solve_text(text, "shape")
        except NnsolveError:
            continue
        shapes = [l["output_shape"] for l in sol.data["layers"]]
        if any(min(s) < 2 for s in shapes[:-3 if residual else -2]):
            continue
        # multiply-accumulates (and a residual stack's parameters) are large by nature
        counts = {"macs", "total_macs"} | ({"parameters", "total_parameters"} if residual
                                           else set())
        if not is_clean(_without(sol.data, counts)):
            continue
        if sol.data["total_parameters"] > 10 ** 6:
            continue
        return Generated("shape", text, sol.data)
    raise GenerationError(f"no shape problem found in {MAX_TRIES} tries; try fewer --blocks or "
                          "a larger --size")


def _plain_layers(rng, blocks: int) -> list[str]:
    layers = []
    for _b in range(blocks):
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
    return layers


def _residual_layers(rng, blocks: int) -> list[str]:
    c = rng.choice([4, 8, 16])
    layers = [f"  - conv: {{filters: {c}, kernel: 3, padding: 1, bias: false}}",
              "  - batchnorm", "  - relu"]
    for b in range(blocks):
        down = b > 0 and rng.random() < 0.5 or (b == 0 and rng.random() < 0.3)
        out = c * 2 if down else c
        s = ", stride: 2" if down else ""
        layers += ["  - residual:", "      layers:",
                   f"        - conv: {{filters: {out}, kernel: 3{s}, padding: 1, bias: false}}",
                   "        - batchnorm", "        - relu",
                   f"        - conv: {{filters: {out}, kernel: 3, padding: 1, bias: false}}",
                   "        - batchnorm"]
        if down:
            layers += ["      shortcut:",
                       f"        - conv: {{filters: {out}, kernel: 1, stride: 2, bias: false}}",
                       "        - batchnorm"]
        layers.append("      activation: relu")
        c = out
    layers += ["  - global_avg_pool", "  - flatten",
               f"  - dense: {{units: {rng.choice([10, 16, 32])}}}"]
    return layers
