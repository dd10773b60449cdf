"""New pooling exercises with clean numbers (means with at most two decimals)."""

from __future__ import annotations

import math

import numpy as np

from ...errors import NnsolveError
from ...ops.pool import Pool
from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text, yaml_value)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"type", "input_shape", "size", "stride", "padding"}


def new_pool(seed: int, input_size=(4, 4), size=(2, 2), stride=None, padding: int = 0,
             type: str | None = None, ceil_mode: bool = False, channels: int = 1,
             command: str | None = None) -> Generated:
    """Max or average pooling of small whole numbers; the type is drawn when not given."""
    rng = rng_for("pool", seed)
    command = command or f"nnsolve new pool --seed {seed}"
    H, W = input_size
    if channels * H * W > 144:
        raise GenerationError("expected an input of at most 144 numbers, for an exercise "
                              "written out by hand")
    ptype = type or rng.choice(["max", "avg"])
    stride = stride or size
    pool = Pool(ptype, tuple(size), tuple(stride), ((padding, padding), (padding, padding)),
                ceil_mode)
    windows = list(pool.windows(H, W)) if pool.misfit(H, W) is None else []
    for attempt in range(MAX_TRIES):
        lo = -4 if ptype == "max" else 0
        X = [[[rng.randint(lo, 9) for _ in range(W)] for _ in range(H)]
             for _ in range(channels)]
        if ptype == "avg":
            X = _clean_means(X, windows, rng, late=attempt >= MAX_TRIES // 2)
        kind_words = "Max" if ptype == "max" else "Average"
        lines = [header(command).rstrip("\n"), "kind: pool",
                 f'title: "{kind_words} pooling (exercise {seed})"',
                 f"input: {yaml_value(X[0] if channels == 1 else X)}",
                 f"type: {ptype}", f"size: {_pair_text(size)}", f"stride: {_pair_text(stride)}"]
        if padding:
            lines.append(f"padding: {padding}")
        if ceil_mode:
            lines.append("ceil_mode: true")
        text = "\n".join(lines) + "\n"
        try:
            problem, sol = solve_text(text, "pool")
        except NnsolveError as e:
            raise GenerationError(f"these sizes make no exercise: {e}") from None
        if not is_clean(sol.data):
            continue
        if not _worth_working(problem, sol.data):
            continue
        return Generated("pool", text, sol.data)
    raise GenerationError(f"no clean pool problem found in {MAX_TRIES} tries; try another "
                          "--seed or other sizes")


def _odd_part(n: int) -> int:
    """n without its factors 2 and 5: a mean x/n has at most two decimals when this divides x
    (for n up to 100's factors)."""
    while n % 2 == 0:
        n //= 2
    while n % 5 == 0:
        n //= 5
    return n


def _clean_means(X, windows, rng, late: bool):
    """Nudge the input so that every window's mean has at most two decimals: windows that share
    no cell each get one cell moved to the next multiple; overlapping ones (stride < size) are
    drawn as multiples of what every divisor needs, on the later tries."""
    need = [(w, _odd_part(w.count)) for w in windows if _odd_part(w.count) > 1]
    if not need:
        return X
    cells = [c for w, _ in need for c in w.cells]
    if len(cells) == len(set(cells)):
        for ch in X:
            for w, r in need:
                i, j = w.cells[rng.randrange(len(w.cells))]
                rest = sum(ch[a][b] for a, b in w.cells) % r
                ch[i][j] += -rest if ch[i][j] - rest >= 0 else r - rest
        return X
    if late:
        L = math.lcm(*(r for _, r in need))
        return [[[rng.randint(0, 3) * L for _ in row] for row in ch] for ch in X]
    return X


def _pair_text(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else yaml_value(list(pair))


def _worth_working(problem, data) -> bool:
    """No window of several cells that are all equal (nothing to find), no output all 0."""
    pool = problem.pool
    X = problem.input
    C, H, W = X.shape
    for c in range(C):
        for w in pool.windows(H, W):
            cells = X[c, w.rows.start:w.rows.stop, w.cols.start:w.cols.stop]
            if w.count > 1 and len(set(cells.ravel().tolist())) == 1:
                return False
    out = np.asarray(data["output"], dtype=object)
    return not all(v == 0 for v in out.ravel().tolist())
