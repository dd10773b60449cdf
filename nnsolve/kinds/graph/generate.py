"""New computational-graph exercises with clean numbers: a circuit of the kinds taught first
(CS231n's (x + y)·z, a value used twice, a max gate, a ReLU, a subtraction, a division), with
small whole inputs drawn until every value and gradient is clean, no max or min at a tie and no
ReLU or |·| at 0."""

from __future__ import annotations

from fractions import Fraction

from ...errors import NnsolveError
from ...generating import (Generated, GenerationError, MAX_TRIES, header, is_clean, rng_for,
                           solve_text, yaml_number)

# what an answer key holds: the computed values, not the given ones
GIVEN = {"output", "expression", "inputs", "name"}

# the circuits: their inputs and their nodes, in order
CIRCUITS = [
    ("(x + y) · z", ["x", "y", "z"], [("q", "x + y"), ("f", "q * z")]),
    ("(x·y + z)·w", ["x", "y", "z", "w"], [("a", "x * y"), ("b", "a + z"), ("f", "b * w")]),
    ("max(x·y, z)·w", ["x", "y", "z", "w"],
     [("a", "x * y"), ("b", "max(a, z)"), ("f", "b * w")]),
    ("(x − y)² + z", ["x", "y", "z"], [("q", "x - y"), ("r", "q * q"), ("f", "r + z")]),
    ("x·y·(x + z)", ["x", "y", "z"], [("q", "x * y"), ("r", "x + z"), ("f", "q * r")]),
    ("ReLU(w·x + b)·y", ["w", "x", "b", "y"],
     [("a", "w * x"), ("s", "a + b"), ("h", "relu(s)"), ("f", "h * y")]),
    ("(x + y)/z − x", ["x", "y", "z"], [("q", "x + y"), ("r", "q / z"), ("f", "r - x")]),
    ("min(x, y)·z + x·x", ["x", "y", "z"],
     [("m", "min(x, y)"), ("p", "m * z"), ("s", "x * x"), ("f", "p + s")]),
]


def _corners(data, nodes) -> bool:
    """A max or min at a tie, or a ReLU or |·| at 0: the exercise would hinge on a convention."""
    values = data["values"]
    for name, text in nodes:
        for fn in ("max(", "min("):
            if text.startswith(fn):
                a, b = text[4:-1].split(", ")
                if values[a] == values[b]:
                    return True
        if text.startswith(("relu(", "abs(")) and values[text[text.index("(") + 1:-1]] == 0:
            return True
    return False


def new_graph(seed: int, circuit: int | None = None, command: str | None = None) -> Generated:
    """A computational graph whose every value and gradient is clean."""
    rng = rng_for("graph", seed)
    command = command or f"nnsolve new graph --seed {seed}"
    if circuit is not None and not 1 <= circuit <= len(CIRCUITS):
        raise GenerationError(f"expected a circuit from 1 to {len(CIRCUITS)}")
    for attempt in range(MAX_TRIES):
        title, inputs, nodes = CIRCUITS[(circuit or rng.randint(1, len(CIRCUITS))) - 1]
        values = {n: Fraction(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])) for n in inputs}
        text = "\n".join(
            [header(command).rstrip("\n"), "kind: graph",
             f'title: "f = {title} (exercise {seed})"',
             "inputs: {" + ", ".join(f"{n}: {yaml_number(v)}" for n, v in values.items()) + "}",
             "nodes:"] + [f"  {n}: {t}" for n, t in nodes]) + "\n"
        try:
            _problem, sol = solve_text(text, "graph")
        except NnsolveError:      # a division by zero drawn: draw again
            continue
        if is_clean(sol.data) and not _corners(sol.data, nodes):
            return Generated("graph", text, sol.data)
    raise GenerationError(f"no clean graph problem found in {MAX_TRIES} tries; try another "
                          "--seed")
