"""graph's likely mistakes, each the graph re-solved with one rule swapped: a multiply's local
gradient not swapped, the sign of a subtraction's (or a division's) second input lost, the ReLU
gate ignored, a sum over two paths missing (only one path kept), every gradient's sign flipped,
η mistaken."""

from __future__ import annotations

from dataclasses import replace

from ...errors import NnsolveError
from ...grading import ETA_MISTAKES, Variant, define, field_name, to_tree
from ...ops.scalar import OPS

define("mul_not_swapped", "× not swapped", "the local gradients of a multiply not swapped "
       "(∂(x·y)/∂x taken as x instead of y)")
define("sub_sign", "sign of − lost", "the sign of a subtraction lost (∂(x − y)/∂y taken as +1 "
       "instead of −1)")
define("div_sign", "sign of ÷ lost", "the sign of a division's derivative lost (∂(x/y)/∂y "
       "taken as x/y² instead of −x/y²)")
define("sum_missing", "sum over paths missing", "a sum over paths missing: where a value feeds "
       "several nodes, only one path's gradient kept")

# the op mistakes: the name of the swapped rule, and the op it is in
OP_MISTAKES = (("mul_not_swapped", "mul"), ("sub_sign", "sub"), ("div_sign", "div"),
               ("relu_gate_ignored", "relu"), ("relu_gate_ignored", "relu6"))


def _tree(problem, **how) -> dict | None:
    """The JSON tree of the graph solved with a mistake, or None when it is then unsolvable."""
    from .explain import solution_data
    from .solve import compute
    try:
        return to_tree(solution_data(problem, compute(problem, **how)))
    except (NnsolveError, ArithmeticError):
        return None


def _flipped(tree: dict, output: str) -> dict:
    """Every gradient (but ∂f/∂f) with its sign flipped, and the updates made with them."""
    t: dict = {"gradients": {k: -v for k, v in tree["gradients"].items() if k != output}}
    return t


def variants(problem, right: dict) -> list:
    """The graph solved with each mistake that applies to it (and with η mistaken too)."""
    ops_used = {n.op for n in problem.nodes}
    out = []
    grads = []
    swaps: dict = {}
    for name, op in OP_MISTAKES:     # ReLU's and ReLU6's gate ignored together: one mistake
        if op in ops_used:
            swaps.setdefault(name, {})[op] = OPS[op].swapped(name)
    grads += [(name, {"ops": ops}) for name, ops in swaps.items()]
    uses: dict = {}
    for n in problem.nodes:
        for a in dict.fromkeys(x for x in n.args if isinstance(x, str)):
            uses[a] = uses.get(a, 0) + 1
    if any(k > 1 for k in uses.values()):
        grads += [("sum_missing", {"paths": "first"}), ("sum_missing", {"paths": "last"})]
    for name, how in grads:
        t = _tree(problem, **how)
        if t is not None:
            out.append(Variant((name,), t))
    out.append(Variant(("gradient_sign",), _flipped(right, problem.output)))
    if problem.parameters:
        for ename, f in ETA_MISTAKES:
            wrong = replace(problem, learning_rate=problem.learning_rate * f)
            t = _tree(wrong)
            if t is not None:
                out.append(Variant((ename,), t))
            for name, how in grads:
                t = _tree(wrong, **how)
                if t is not None:
                    out.append(Variant((name, ename), t))
    return out


_FORWARD = {"value": 0, "local": 1, "gradient": 2}


def rank(path: tuple):
    """A sort key: values (the forward pass) before local derivatives and gradients (the
    backward pass), the steps in order, each update last."""
    head = path[0]
    if head == "steps" and len(path) > 2:
        return (3, path[1]) + rank(path[2:])
    if head == "values":
        return (0,)
    if head == "nodes" and len(path) > 2:
        return (_FORWARD.get(path[2], 3), path[1] if path[2] == "value" else -path[1])
    if head == "gradients":
        return (2,)
    if head == "parameters_new":
        return (2, 1)
    return (-1,)


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    head = path[0]
    if head == "steps" and len(path) > 2:
        return f"step {path[1]}, " + stage(path[2:])
    if head == "values" or (head == "nodes" and len(path) > 2 and path[2] == "value"):
        return "forward pass"
    if head in ("gradients", "nodes"):
        return "backward pass"
    if head == "parameters_new":
        return "update"
    return field_name(path)
