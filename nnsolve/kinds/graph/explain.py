"""The worked solution of a computational graph: the graph, the forward pass node by node, the
backward pass gate by gate (local derivatives, upstream × local, sums over paths), the table of
values and gradients, the drawing, the updates and the finite-difference check.

Every formula is built once from the op's own ``formula``/``rule`` (nnsolve/ops/scalar.py),
filled once with symbols and once with numbers.
"""

from __future__ import annotations

import re

from ...expr import Abs, Add, Call, Deriv, Frac, Num, Rel, Seq, Sub, Sym, Text, both, mul
from ...ops.scalar import OPS
from ...ops.update import GradientDescent
from ...solution import (Circuit, CircuitNode, Equation, Note, Paragraph, Section, Solution,
                         Table)

ETA = Sym("eta")
descent = GradientDescent.formula


def name_sym(name: str) -> Sym:
    """A name as a symbol: ``x0`` → x₀, ``w_1`` → w₁, ``dot_2`` → dot₂, ``alpha`` → α."""
    m = re.match(r"[A-Za-z]+", name)
    base = m.group() if m else name
    rest = name[len(base):].strip("_").replace("_", ",")
    return Sym(base, sub=rest) if rest else Sym(base)


def _arg_exprs(node, values=None) -> tuple:
    """The node's arguments as symbols (values None) or as their numbers."""
    out = []
    for a in node.args:
        if isinstance(a, str):
            out.append(name_sym(a) if values is None else Num(values[a]))
        else:
            out.append(Num(a))
    return tuple(out)


def formula(node, values=None):
    """The node's formula, with symbols or numbers."""
    return OPS[node.op].formula(_arg_exprs(node, values))


def local_rule(node, name: str, values: dict, with_numbers: bool):
    """∂node/∂name as a formula (the op's rule, summed over the slots ``name`` fills)."""
    op = OPS[node.op]
    args = _arg_exprs(node, values if with_numbers else None)
    out = Num(values[node.name]) if with_numbers else name_sym(node.name)
    arg_values = tuple(values[a] if isinstance(a, str) else a for a in node.args)
    rules = op.rule(args, out, arg_values)
    terms = [r for a, r in zip(node.args, rules) if a == name]
    return terms[0] if len(terms) == 1 else Add(tuple(terms))


def _bare(e) -> bool:
    return isinstance(e, Num)


def _d(f: str, x: str) -> Deriv:
    return Deriv(name_sym(f), name_sym(x))


def _names(names) -> list:
    """Names as inline symbols separated by commas and "and"."""
    parts = []
    names = list(names)
    for i, n in enumerate(names):
        if i:
            parts.append(" and " if i == len(names) - 1 else ", ")
        parts.append(name_sym(n))
    return parts


# --- sections -------------------------------------------------------------------------------

def graph_section(problem) -> Section:
    sec = Section("The graph")
    parts = ["Inputs: "]
    for i, (name, v) in enumerate(problem.inputs.items()):
        if i:
            parts.append(", ")
        parts.append(Rel(name_sym(name), "=", Num(v)))
    sec.add(Paragraph(*parts, "."))
    if problem.expression is not None:
        sec.add(Paragraph(f"The expression {problem.expression} is staged into one node per "
                          "operation, in the order they are computed:"))
    else:
        sec.add(Paragraph("The nodes, in the order they are computed (each one operation of "
                          "inputs and earlier nodes):"))
    for n in problem.nodes:
        sec.add(Equation([name_sym(n.name), formula(n)]))
    for user, names in problem.staged.items():
        if user == "expression":
            continue
        sec.add(Note("The node ", name_sym(user), f" = {_user_text(problem, user)} is more than "
                     "one operation: it is staged as ", *_names(names[:-1]), " and ",
                     name_sym(user), "."))
    sec.add(Paragraph("The output is ", name_sym(problem.output), "; backpropagation computes ",
                      Deriv(name_sym(problem.output), Sym("v")),
                      " for every input and node ", Sym("v"), "."))
    return sec


def _user_text(problem, user: str) -> str:
    for n in problem.nodes:
        if n.name == user:
            return n.expression
    return ""


def forward_section(problem, run) -> Section:
    sec = Section("Forward pass")
    sec.add(Paragraph("Each node's value from its inputs', in order:"))
    for r in run.nodes:
        n = r.node
        sym, num = formula(n), formula(n, run.values)
        parts = [name_sym(n.name), sym]
        if n.op not in ("neg", "id"):          # −q₄ = −1 and q = x = 3 say it once
            parts.append(num)
        parts.append(Num(r.value))
        sec.add(Equation(parts))
    return sec


def _gate_words(node, values: dict) -> list:
    """How the node's gate passes the gradient, in words (max and min with their comparison)."""
    op = OPS[node.op]
    if op.gate is None:
        return []
    words = [": " + op.gate]
    if node.op in ("max", "min"):
        a, b = [values[x] if isinstance(x, str) else x for x in node.args]
        ea, eb = [Rel(e, "=", Num(v)) if isinstance(x, str) else Num(v)
                  for e, v, x in zip(_arg_exprs(node), (a, b), node.args)]
        rel = ">" if a > b else "=" if a == b else "<"
        words += [" (", Seq((ea, Text(rel), eb), sep=" "), ")"]
    return words


def backward_section(problem, run) -> Section:
    out = problem.output
    sec = Section("Backward pass")
    sec.add(Paragraph("From the output backwards: each node passes its upstream gradient ",
                      Deriv(name_sym(out), Sym("node")), " times its local derivative to each "
                      "input (the chain rule); a value that feeds several nodes adds up what "
                      "it receives along each path."))
    sec.add(Equation([_d(out, out), Num(1)]))
    edges_into: dict = {}
    for e in run.edges:
        edges_into.setdefault(e.name, []).append(e)
    seen: dict = {}
    results = {r.node.name: r for r in run.nodes}
    for r in reversed(run.nodes):
        n = r.node
        if n.name not in run.feeds:
            continue
        head = [Rel(name_sym(n.name), "=", formula(n))] + _gate_words(n, run.values)
        if n.name != out:
            head += [". Upstream: ", Rel(_d(out, n.name), "=", Num(r.gradient))]
        sec.add(Paragraph(*head, "."))
        if not r.local:
            sec.add(Paragraph("It has no inputs to pass a gradient to (a constant)."))
            continue
        for a, loc in r.local.items():
            sym = local_rule(n, a, run.values, False)
            num = local_rule(n, a, run.values, True)
            parts = [_d(n.name, a), sym]
            if not _bare(num) and not _bare(sym):
                parts.append(num)
            if not _bare(sym):
                parts.append(Num(loc))
            sec.add(Equation(parts))
        if n.name == out and all(len(edges_into[a]) == 1 for a in r.local):
            sec.add(Paragraph("With ", Rel(_d(out, out), "=", Num(1)), ", these local "
                              "derivatives are the gradients of ", *_names(r.local), "."))
            continue
        for a, loc in r.local.items():
            edges = edges_into[a]
            e = next(x for x in edges if x.consumer == n.name)
            seen[a] = seen.get(a, 0) + 1
            product_sym, product_num = both(lambda at: mul(at(_d(out, n.name), e.upstream),
                                                           at(_d(n.name, a), e.local)))
            if len(edges) == 1:
                sec.add(Equation([_d(out, a), product_sym, product_num, Num(e.gradient)]))
                continue
            sec.add(Paragraph(name_sym(a), " receives through ", name_sym(n.name), ":"))
            sec.add(Equation([product_sym, product_num, Num(e.gradient)]))
            if seen[a] == len(edges):
                consumers = [x.consumer for x in reversed(edges)]
                sec.add(Paragraph(name_sym(a), " feeds ", *_names(consumers),
                                  ": its gradient is the sum over the paths,"))
                sec.add(Equation([
                    _d(out, a),
                    Add(tuple(mul(_d(out, x.consumer), _d(x.consumer, a))
                              for x in reversed(edges))),
                    Add(tuple(Num(x.gradient) for x in reversed(edges))),
                    Num(run.gradients[a])]))
    unused = [name for name in list(problem.inputs) + [r.node.name for r in run.nodes]
              if name not in run.feeds]
    if unused:
        zeros = [p for i, n in enumerate(unused)
                 for p in ([", "] if i else []) + [Rel(_d(out, n), "=", Num(0))]]
        sec.add(Note(*_names(unused), " does" if len(unused) == 1 else " do",
                     " not feed ", name_sym(out), ": ", *zeros, "."))
    return sec


def table_section(problem, run, title: str = "Values and gradients") -> Section:
    sec = Section(title)
    rows = []
    for name, v in problem.inputs.items():
        rows.append([name_sym(name), "input", Num(run.values[name]),
                     Num(run.gradients[name])])
    for r in run.nodes:
        rows.append([name_sym(r.node.name), formula(r.node), Num(r.value), Num(r.gradient)])
    out = name_sym(problem.output)
    sec.add(Table(["", "node", "value", "gradient"], rows,
                  align=["left", "left", "right", "right"]))
    sec.add(Paragraph("The gradient column is ", Deriv(out, Sym("v")), " for the row's ",
                      Sym("v"), "."))
    return sec


def circuit(problem, run) -> Circuit:
    """The graph as a drawing: each wire's value above, its gradient below."""
    nodes = []
    for name in problem.inputs:
        if name in run.feeds:
            nodes.append(CircuitNode(name, name_sym(name), None, run.values[name],
                                     run.gradients[name]))
    for r in run.nodes:
        n = r.node
        if n.name not in run.feeds:
            continue
        inputs = []
        for a, loc in zip(n.args, r.slot_local):
            if isinstance(a, str):
                inputs.append((a, None, r.gradient * loc))
            else:
                inputs.append((None, a, None))
        nodes.append(CircuitNode(n.name, name_sym(n.name), OPS[n.op].symbol, r.value,
                                 r.gradient, inputs))
    return Circuit(nodes, problem.output,
                   caption="Each wire carries its value (above) forward and its gradient "
                           "(below) back; numbers rounded to 4 digits, the table has them all.")


DRAW_LIMIT = 100       # nodes drawn; a larger graph has its table only


def drawing_section(problem, run) -> Section:
    sec = Section("The graph with its values and gradients")
    if len(run.feeds) > DRAW_LIMIT:
        sec.add(Note(f"{len(run.feeds)} inputs and nodes feed the output: too many to draw "
                     f"(at most {DRAW_LIMIT}); the table has every value and gradient."))
        return sec
    sec.add(circuit(problem, run))
    return sec


def optimizer_section(problem, update, t: int) -> Section:
    """Each parameter by the optimizer's rule with its numbers, the state carried."""
    from ...ops import optim
    from ..backprop.training import describe, option_notes, start_parts, starts_at_zero
    opt = problem.optimizer
    out = problem.output
    sec = Section("Update")
    if t > 1:
        when = [f"; step t = {t}, from the state of step {t - 1}."]
    elif starts_at_zero(opt):
        when = ["; the state starts at zero, t = 1."]
    else:
        when = ["; the state starts as PyTorch starts it ("] + start_parts(opt) + ["), t = 1."]
    sec.add(Paragraph(*describe(opt), ": each parameter moves to make ", name_sym(out),
                      " larger" if opt.hyper.get("maximize") else " smaller", *when))
    sec.add(*optim.rule_equations(opt, t))
    if t == 1:
        sec.add(*option_notes(opt))
    for name, old, g, trace, new in update.rows:
        s = name_sym(name)
        sec.add(Paragraph(s, ":"))
        sec.add(*optim.element_equations(trace, s, _d(out, name), trace.rules[0][1]["g"], 0))
    return sec


def update_section(problem, update, t: int) -> Section:
    if problem.optimizer is not None:
        return optimizer_section(problem, update, t)
    sec = Section("Update")
    out = problem.output
    sec.add(Paragraph("Gradient descent on the parameters, with ", Rel(ETA, "=",
                                                                      Num(problem.learning_rate)),
                      ": each moves against its gradient to make ", name_sym(out),
                      " smaller."))
    for name, old, g, step, new in update.rows:
        s = name_sym(name)
        sec.add(Equation([s, *both(lambda at: descent(at(s, old), at(ETA, problem.learning_rate),
                                                      at(_d(out, name), g))), Num(new)],
                         rels=["←", "=", "="]))
    return sec


def verify_section(problem, run, numeric: dict) -> Section:
    from ...expr import Pow
    from .solve import kinks
    sec = Section("Check by central differences")
    f, v, eps = name_sym(problem.output), Sym("v"), Sym("epsilon")
    sec.add(Paragraph("Each input's gradient against ",
                      Frac(Sub(Call(f.name if f.sub is None else problem.output, (Add((v, eps)),)),
                               Call(f.name if f.sub is None else problem.output, (Sub(v, eps),))),
                           mul(Num(2), eps, op="juxt")),
                      " with ", Rel(eps, "=", mul(Pow(Num(10), Num(-6)), Call("max", (Num(1),
                                                                                Abs(v))))),
                      ", computed in floating point."))
    rows, worst = [], 0.0
    for name in problem.inputs:
        g = run.gradients[name]
        d = abs(float(g) - numeric[name])
        worst = max(worst, d / max(1.0, abs(float(g))))
        rows.append([name_sym(name), Num(g), Num(numeric[name]), Num(d)])
    sec.add(Table(["input", "backprop", "central difference", "|difference|"], rows))
    ok = worst <= 1e-5
    measure = Frac(Abs(Text("difference")), Call("max", (Num(1), Abs(Text("backprop")))))
    sec.add(Paragraph(f"{'All' if ok else 'Not all'} {len(rows)} gradients agree: the largest ",
                      measure, " is ", Num(worst), "."))
    at = kinks(problem, run.values)
    if at:
        six = any(n.op == "relu6" for n in problem.nodes if n.name in at)
        sec.add(Note("At ", *_names(at), " the operation has a corner (ReLU or |·| at 0, "
                     + ("ReLU6 at 0 and 6, " if six else "") + "a max or min at a tie): there "
                     "the gradient is the one the rules choose (ReLU′(0) = 0, "
                     + ("ReLU6′(0) = ReLU6′(6) = 0, " if six else "") + "|x|′(0) = 0, the first "
                     "argument of a tie), and a central difference need not agree."))
    return sec


# --- the whole solution ---------------------------------------------------------------------

def run_data(problem, run) -> dict:
    """values, gradients and nodes of one pass (SPEC's graph JSON)."""
    nodes = []
    for r in run.nodes:
        n = r.node
        inputs = list(dict.fromkeys(a for a in n.args if isinstance(a, str)))
        local = dict(r.local) if n.name in run.feeds else \
            {a: loc for a, loc in _locals_anyway(n, run).items()}
        nodes.append({"name": n.name, "expression": n.expression, "inputs": inputs,
                      "value": r.value, "local": local, "gradient": r.gradient})
    return {"values": dict(run.values), "gradients": dict(run.gradients), "nodes": nodes}


def _locals_anyway(node, run) -> dict:
    """The local derivatives of a node that does not feed the output (its gradient is 0, but
    its local derivatives are defined all the same); {} where they are not."""
    from ...ops.scalar import DomainError
    args = tuple(run.values[a] if isinstance(a, str) else a for a in node.args)
    try:
        slots = OPS[node.op].local(args, run.values[node.name],
                                   tuple(isinstance(a, str) for a in node.args))
    except (DomainError, ArithmeticError):
        return {}
    out: dict = {}
    for a, s in zip(node.args, slots):
        if isinstance(a, str):
            out[a] = s if a not in out else out[a] + s
    return out


def solution_data(problem, steps) -> dict:
    """The JSON of a graph problem's solution (SPEC: graph)."""
    data = {"kind": "graph", "format_version": 1, "output": problem.output}
    data.update(run_data(problem, steps[0].run))
    if problem.parameters:
        data["steps"] = [{"values": dict(s.run.values), "gradients": dict(s.run.gradients),
                          "parameters_new": dict(s.update.new)} for s in steps]
        if problem.optimizer is not None:
            for record, s, t in zip(data["steps"], steps, range(1, len(steps) + 1)):
                record["state"] = {p: {k: (v[0] if not hasattr(v[0], "item") else v[0].item())
                                       if not isinstance(v, int) else v
                                       for k, v in problem.optimizer.torch_state(st, t).items()}
                                   for p, st in s.update.state.items()}
    return data


def explain(problem, steps, checks, detail: str) -> Solution:
    """The Solution of a graph problem: every step, in full or in summary."""
    full = detail == "full"
    blocks = [graph_section(problem)]
    many = len(steps) > 1
    for t, s in enumerate(steps, start=1):
        parts = []
        if full:
            parts += [forward_section(problem, s.run), backward_section(problem, s.run)]
        parts.append(table_section(problem, s.run))
        if t == 1:
            parts.append(drawing_section(problem, s.run))
        if checks:
            parts.append(verify_section(problem, s.run, checks[t - 1]))
        if s.update is not None:
            parts.append(update_section(problem, s.update, t))
        if many:
            blocks.append(Section(f"Step {t} of {len(steps)}", parts))
        else:
            blocks.extend(parts)
    data = solution_data(problem, steps)
    title = problem.title or (f"The computational graph of {problem.expression}"
                              if problem.expression else "A computational graph")
    return Solution("graph", title, blocks, data)
