"""Question 1.1 on a computational graph: the multiplications of the chain rule with every path
from an input to the output written out on its own, against backpropagation's reuse of the
upstream gradients (kind "graph_cost", asked with ``nnsolve graph --cost``).

Counting, over the edges of the graph that lead to the output f (a node that uses a value
twice, as x·x, has one edge from it, its local derivative the sum of both slots'):

- Without reuse, ∂f/∂v for an input v is the sum over the paths v → … → f of the product of the
  local derivatives along the path: a path of k edges costs k − 1 multiplications.
- Backpropagation computes each node's ∂f/∂n once and multiplies it by each local derivative:
  one multiplication per edge, except the edges into f itself, whose upstream is ∂f/∂f = 1.

Additions (the sums over paths) are not counted; a local derivative of 1 (an add gate) counts as
a factor all the same, so that the count depends on the graph's shape only.
"""

from __future__ import annotations

from ...expr import Add, Num, Rel, Seq, mul
from ...solution import Equation, Note, Paragraph, Section, Solution, Table
from .explain import _d, name_sym
from .solve import feeding, run

MAX_LISTED = 12          # paths written out per input


def edges(problem) -> dict:
    """consumer → its inputs (names, once each), over the nodes that feed the output."""
    feeds = feeding(problem)
    return {n.name: list(dict.fromkeys(a for a in n.args if isinstance(a, str)))
            for n in problem.nodes if n.name in feeds}


def consumers(problem) -> dict:
    """name → the nodes that use it (among those that feed the output), in order."""
    out: dict = {}
    for c, ins in edges(problem).items():
        for a in ins:
            out.setdefault(a, []).append(c)
    return out


def path_counts(problem):
    """For every name: the paths from it to the output, and the edges summed over them."""
    cons = consumers(problem)
    paths, lengths = {problem.output: 1}, {problem.output: 0}
    order = [n.name for n in problem.nodes] 
    for name in reversed(list(problem.inputs) + order):
        if name == problem.output or name not in cons:
            continue
        paths[name] = sum(paths.get(c, 0) for c in cons[name])
        lengths[name] = sum(lengths.get(c, 0) + paths.get(c, 0) for c in cons[name])
    return paths, lengths


def paths_from(problem, name: str, limit: int = MAX_LISTED) -> list:
    """Up to ``limit`` paths from ``name`` to the output, each a list of names."""
    cons = consumers(problem)
    out = []

    def walk(path):
        if len(out) >= limit:
            return
        last = path[-1]
        if last == problem.output:
            out.append(path)
            return
        for c in cons.get(last, []):
            walk(path + [c])
    walk([name])
    return out


def _product(path: list):
    """∂f/∂nₖ · … · ∂n₁/∂v along a path v → n₁ → … → f."""
    factors = [_d(b, a) for a, b in zip(path, path[1:])]
    return mul(*reversed(factors)) if len(factors) > 1 else factors[0]


def solve(problem, options) -> Solution:
    """The cost comparison for a graph problem (kind "graph_cost")."""
    out = problem.output
    p = run(problem, dict(problem.inputs))
    paths, lengths = path_counts(problem)
    eds = edges(problem)
    n_edges = sum(len(v) for v in eds.values())
    backprop = n_edges - len(eds.get(out, []))
    inputs = [v for v in problem.inputs if v in paths]
    per_input = {v: lengths[v] - paths[v] for v in inputs}
    without = sum(per_input.values())
    blocks = []

    counting = Section("How the multiplications are counted")
    counting.add(Paragraph(
        "Without reuse, each input's gradient is its own chain rule: the sum over every path "
        "from the input to the output of the product of the local derivatives along the path; "
        "a path of k edges costs k − 1 multiplications. Backpropagation computes each node's "
        "upstream gradient once and multiplies it by each of the node's local derivatives: one "
        "multiplication per edge, none for the edges into the output (their upstream gradient "
        "is ", Rel(_d(out, out), "=", Num(1)), ")."))
    counting.add(Note("Additions (the sums over paths) are not counted, and a local derivative "
                      "of 1 counts as a factor all the same, so that the counts depend on the "
                      "shape of the graph only."))
    if options.detail != "summary":
        blocks.append(counting)

    sec = Section("Every path written out")
    rows = []
    for v in inputs:
        listed = paths_from(problem, v)
        terms = [_product(path) for path in listed]
        more = paths[v] - len(listed)
        if more:
            terms.append(Seq((Num(more),), sep=""))
        rhs = terms[0] if len(terms) == 1 else Add(tuple(terms))
        if options.detail != "summary":
            sec.add(Equation([_d(out, v), rhs]))
            if more:
                sec.add(Paragraph(f"(and {more} more paths)"))
        rows.append([name_sym(v), Num(paths[v]), Num(lengths[v]), Num(per_input[v])])
    rows.append(["total", "", "", Num(without)])
    sec.add(Table(["input", "paths", "edges on them", "multiplications"], rows))
    blocks.append(sec)

    reuse = Section("Backpropagation's reuse")
    reuse.add(Paragraph(
        "Backpropagation goes through the nodes once, from the output back: each node's "
        "upstream gradient is computed once (summed over its consumers) and then used for every "
        "one of its inputs, where without reuse the product from that node to the output is "
        "written out again on every path through it."))
    p_in = _paths_in(problem, eds)
    rrows, reused = [], []
    for n in reversed(problem.nodes):
        if n.name not in eds or n.name == out:
            continue
        through = p_in.get(n.name, 0) * paths[n.name]
        used_by = eds[n.name]
        rrows.append([name_sym(n.name), Num(p.gradients[n.name]),
                      Seq(tuple(name_sym(u) for u in used_by)), Num(through)])
        reused.append({"node": n.name, "gradient": p.gradients[n.name], "used_by": used_by,
                       "paths_through": through})
    if rrows:
        reuse.add(Table(["node", "upstream gradient", "used for", "paths through it"], rrows,
                        align=["left", "right", "left", "right"]))
    reuse.add(Paragraph("Multiplications: ", Num(backprop), " with backpropagation (",
                        Num(n_edges), " edges, ", Num(len(eds.get(out, []))),
                        " of them into ", name_sym(out), ") against ", Num(without),
                        " with every path written out."))
    if without > backprop:
        reuse.add(Paragraph("Backpropagation saves ", Num(without - backprop),
                            " multiplications here; the saving grows with the depth of the "
                            "graph, since the number of paths multiplies at every node that "
                            "feeds several others while backpropagation's count grows with "
                            "the number of edges only."))
    else:
        reuse.add(Paragraph("A graph this shallow leaves nothing to reuse: every path is at "
                            "most two edges long, and the counts agree. The saving comes with "
                            "depth."))
    blocks.append(reuse)
    data = {"kind": "graph_cost", "format_version": 1, "output": out,
            "inputs": {v: {"paths": paths_from(problem, v), "path_count": paths[v],
                           "multiplications": per_input[v]} for v in inputs},
            "without_reuse": without, "backprop": backprop, "edges": n_edges,
            "reused": reused}
    title = (problem.title + ": the cost of the gradients") if problem.title else \
        "The cost of the gradients: every path written out, and with backpropagation"
    return Solution("graph_cost", title, blocks, data)


def _paths_in(problem, eds) -> dict:
    """name → the number of paths from the inputs to it (an input has one, itself)."""
    count = {v: 1 for v in problem.inputs}
    for n in problem.nodes:
        if n.name in eds:
            count[n.name] = sum(count.get(a, 0) for a in eds[n.name])
    return count
