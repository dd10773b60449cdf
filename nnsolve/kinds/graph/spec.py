"""A computational graph of scalars: inputs and their values, and nodes in order, each one
operation of earlier names (a node written as a longer expression, or one `expression`, is
staged into one node per operation, under names nnsolve gives and shows).

The same checks read a YAML file (``parse``) and the command line (``from_expression``), so both
give the same problem; every mistake names where it is (file, line, column of the mistake in an
expression, field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ...errors import ProblemError
from ...numbers import format_number, parse_number
from ...ops.scalar import FUNCTIONS
from .parse import Apply, Const, ExpressionError, Name, names_in, parse as parse_expression

FIELDS = ["kind", "title", "inputs", "nodes", "expression", "output", "parameters",
          "learning_rate", "steps", "optimizer"]
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MAX_NODES = 500          # operations in one graph, staged
MAX_STEPS = 1000
EXPRESSION = "<expression>"   # how errors name an expression given on the command line


@dataclass
class GraphNode:
    """One operation: ``name = op(args)``; an argument is a name (str) or a constant (number)."""

    name: str
    op: str                       # a key of nnsolve.ops.scalar.OPS
    args: tuple
    expression: str               # as written by the user, or by nnsolve for a staged node
    where: tuple = ()             # (path, line, col, field) of the operation, for its errors
    staged_from: str | None = None   # the user's node (or "expression") it was staged from


@dataclass
class GraphProblem:
    """Inputs (name → value, in order), nodes in order, the output node, and optionally the
    parameters to update by gradient descent with a learning rate over some steps."""

    inputs: dict
    nodes: list
    output: str
    title: str | None = None
    expression: str | None = None        # the one expression the nodes were staged from
    staged: dict = field(default_factory=dict)   # a user's node → the names staged for it
    parameters: tuple = ()
    learning_rate: Fraction | None = None
    steps: int = 1
    kind: str = "graph"
    inputs_where: dict = field(default_factory=dict)   # name → (path, line, col, field)
    learning_rate_where: tuple = ()
    optimizer: object = None       # an ops.optim.Optimizer (torch.optim's rule), or None

    @property
    def names(self) -> list:
        """Every input and node name, inputs first, in order."""
        return list(self.inputs) + [n.name for n in self.nodes]


# --- where a column of an expression is in its file ----------------------------------------

class _Text:
    """An expression's text and how to name a column of it: a YAML scalar, or the command line."""

    def __init__(self, text: str, doc=None, field: str | None = None):
        self.text = text
        self.doc = doc
        self.field = field if doc is None else doc.field

    def where(self, col: int) -> tuple:
        """(path, line, col, field) of a 1-based column of the expression."""
        if self.doc is None:
            return (EXPRESSION, 1, col, None)
        node = self.doc.node
        start, end = node.start_mark, node.end_mark
        style = getattr(node, "style", None) or None     # libyaml says '' for plain
        if start.line == end.line and style in (None, "'", '"'):
            return (self.doc.path, start.line + 1, start.column + col + (style is not None),
                    self.field)
        return (self.doc.path, start.line + 1, start.column + 1, self.field)

    def error(self, message: str, col: int) -> ProblemError:
        path, line, c, fld = self.where(col)
        if self.doc is not None and (line, c) == (self.doc.line, self.doc.col) and col > 1:
            message += f" (column {col} of the expression)"
        return ProblemError(message, path, line, c, fld)


def _parse_text(src: _Text):
    try:
        return parse_expression(src.text)
    except ExpressionError as e:
        raise src.error(e.message, e.col) from None


# --- staging: one node per operation --------------------------------------------------------

def _const_text(v) -> str:
    if isinstance(v, float):
        return repr(v)
    return format_number(v, 17, exact=True).text


_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _arg_text(a) -> str:
    return a if isinstance(a, str) else _const_text(a)


def node_text(op: str, args: tuple) -> str:
    """How nnsolve writes a staged node: ``q1 + w2``, ``exp(q5)``, ``-q4``."""
    parts = [_arg_text(a) for a in args]
    if op in _INFIX:
        return f"{parts[0]} {_INFIX[op]} {parts[1]}"
    if op == "neg":
        return f"-{parts[0]}"
    if op == "id":
        return parts[0]
    return f"{op}({', '.join(parts)})"


def _count_ops(tree) -> int:
    if isinstance(tree, Apply):
        return 1 + sum(_count_ops(a) for a in tree.args)
    return 0


def _stage(tree, name: str, fresh, src: _Text, staged_from: str | None, out: list,
           single: bool) -> str | Fraction:
    """Append the nodes of ``tree`` (post-order) to ``out``; the root is named ``name``. Returns
    what the tree stands for: a name, or a constant."""
    def visit(t, root: bool):
        if isinstance(t, Name):
            return t.id
        if isinstance(t, Const):
            return t.value
        args = tuple(visit(a, False) for a in t.args)
        n = name if root else fresh()
        text = src.text.strip() if root and single else node_text(t.op, args)
        out.append(GraphNode(n, t.op, args, text, src.where(t.col),
                             staged_from=None if root and single else staged_from))
        return n
    if not isinstance(tree, Apply):       # a bare name or number: the identity
        arg = visit(tree, False)
        col = tree.col
        out.append(GraphNode(name, "id", (arg,), src.text.strip(), src.where(col)))
        return name
    return visit(tree, True)


def _fresh_names(prefixes, taken: set, count: int):
    """Names for ``count`` staged nodes: ``q`` alone, or q1, q2, …; another letter where an
    input or node already has one of these names."""
    for p in prefixes:
        names = [p] if count == 1 else [f"{p}{i}" for i in range(1, count + 1)]
        if not any(n in taken for n in names):
            return iter(names)
    names, i = [], 1
    while len(names) < count:
        if f"node{i}" not in taken:
            names.append(f"node{i}")
        i += 1
    return iter(names)


# --- checks both forms share ----------------------------------------------------------------

def _check_name(name: str, err, what: str) -> None:
    if not NAME.match(name):
        raise err(f"expected a name for {what} (letters, digits and _, starting with a "
                  f"letter), got {name!r}")
    if name in FUNCTIONS:
        raise err(f"{name} is the name of a function; call the {what} something else")


def _check_refs(tree, src: _Text, known: set, later: dict, node_name: str | None,
                inputs: list) -> None:
    """Every name of a tree is an input or an earlier node; else the mistake, named."""
    for n in names_in(tree):
        if n.id in known:
            continue
        if node_name is not None and n.id == node_name:
            raise src.error(f"{n.id} uses itself: a computational graph has no cycles", n.col)
        if n.id in later:
            cycle = _cycle(n.id, node_name, later)
            if cycle:
                raise src.error("a cycle: " + " → ".join([node_name] + cycle) +
                                "; a computational graph has no cycles", n.col)
            raise src.error(f"{n.id} is used before its definition (line {later[n.id][0]}): "
                            f"nodes are computed in order, each from inputs and earlier "
                            f"nodes", n.col)
        import difflib
        near = difflib.get_close_matches(n.id, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}?" if near else ""
        have = f"the inputs are {', '.join(inputs)}" if inputs else "there are no inputs"
        raise src.error(f"unknown name {n.id} ({have}){hint}", n.col)


def _cycle(start: str, target: str | None, later: dict) -> list:
    """A path of names from ``start`` back to ``target`` through the later nodes, or []."""
    seen = set()
    stack = [(start, [start])]
    while stack:
        cur, path = stack.pop()
        if cur in seen:
            continue
        seen.add(cur)
        for ref in later.get(cur, (0, ()))[1]:
            if ref == target:
                return path + [target]
            if ref in later:
                stack.append((ref, path + [ref]))
    return []


def _build(inputs: dict, node_sources: list, expression_src: _Text | None, output,
           title, inputs_where: dict, parameters, learning_rate, steps, lr_where,
           err_nodes) -> GraphProblem:
    """The checks both forms share. ``node_sources``: [(name, _Text, name error)]; ``output``:
    (name, error) or None."""
    nodes: list = []
    staged: dict = {}
    known = set(inputs)
    taken = set(inputs) | {n for n, _, _ in node_sources}
    input_names = list(inputs)
    if expression_src is not None:
        tree = _parse_text(expression_src)
        _check_refs(tree, expression_src, known, {}, None, input_names)
        count = _count_ops(tree)
        out_name = next(_fresh_names(["f", "g", "h", "F"], taken, 1))
        taken.add(out_name)
        fresh = _fresh_names(["q", "u", "v", "t"], taken, max(count - 1, 1))
        _stage(tree, out_name, lambda: next(fresh), expression_src, "expression", nodes,
               single=False)
        staged["expression"] = [n.name for n in nodes]
        output_name = out_name
    else:
        trees = []
        for name, src, _e in node_sources:
            trees.append(_parse_text(src))
        later = {name: (src.where(1)[1], [n.id for n in names_in(t)])
                 for (name, src, _e), t in zip(node_sources, trees)}
        for (name, src, _e), tree in zip(node_sources, trees):
            del later[name]
            _check_refs(tree, src, known, later, name, input_names)
            count = _count_ops(tree)
            if count > 1:
                subs = iter([f"{name}_{i}" for i in range(1, count)])
                before = len(nodes)

                def fresh(subs=subs):
                    n = next(subs)
                    while n in taken:
                        n = n + "_"
                    taken.add(n)
                    return n
                _stage(tree, name, fresh, src, name, nodes, single=True)
                staged[name] = [n.name for n in nodes[before:]]
            else:
                _stage(tree, name, None, src, name, nodes, single=True)
            known.add(name)
        output_name = nodes[-1].name
        if output is not None:
            oname, oerr = output
            if oname in inputs:
                raise oerr(f"{oname} is an input; the output is a node (one of: "
                           f"{', '.join(n for n, _, _ in node_sources)})")
            if oname not in {n for n, _, _ in node_sources}:
                raise oerr(f"unknown node {oname}; expected one of: "
                           f"{', '.join(n for n, _, _ in node_sources)}")
            output_name = oname
    if len(nodes) > MAX_NODES:
        raise err_nodes(f"{len(nodes)} operations: more than {MAX_NODES}, too large a graph to "
                        f"write out")
    params = []
    if parameters is not None:
        plist, perr = parameters
        for p, e in plist:
            if p not in inputs:
                what = "a node" if p in taken else "not an input"
                raise e(f"{p} is {what}; parameters are inputs (one of: "
                        f"{', '.join(input_names)})")
            if p in params:
                raise e(f"{p} is given twice")
            params.append(p)
        if not params:
            raise perr("expected at least one parameter (an input's name)")
        if learning_rate is None:
            raise perr("parameters need a learning rate (`learning_rate`) to be updated")
    elif learning_rate is not None:
        raise lr_where[1]("a learning rate needs `parameters`: the inputs to update")
    n_steps = 1
    if steps is not None:
        n_steps, serr = steps
        if not params:
            raise serr("steps need `parameters` and a `learning_rate` to take a step with")
    return GraphProblem(inputs=dict(inputs), nodes=nodes, output=output_name, title=title,
                        expression=None if expression_src is None else
                        expression_src.text.strip(),
                        staged=staged, parameters=tuple(params),
                        learning_rate=None if learning_rate is None else learning_rate[0]
                        if isinstance(learning_rate, tuple) else learning_rate,
                        steps=n_steps, inputs_where=inputs_where,
                        learning_rate_where=lr_where[0] if lr_where else ())


def _doc_where(doc) -> tuple:
    return (doc.path, doc.line, doc.col, doc.field or None)


def parse(doc) -> GraphProblem:
    """A GraphProblem from a problem file."""
    doc.keys(FIELDS, required=["inputs"])
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    idoc = doc["inputs"]
    if not idoc.is_map:
        raise idoc.error("expected a mapping of the inputs' names to their values "
                         "({x: -2, y: 5})")
    inputs, where = {}, {}
    for name, kdoc, vdoc in idoc.entries():
        _check_name(name, kdoc.error, "an input")
        if name in inputs:
            raise kdoc.error(f"input {name} is given twice")
        inputs[name] = vdoc.number(what=f"a number (the value of {name})")
        where[name] = _doc_where(vdoc)
    if not inputs:
        raise idoc.error("expected at least one input")

    has_nodes, has_expr = doc.has("nodes"), doc.has("expression")
    if has_nodes and has_expr:
        raise doc["expression"].error("give either `nodes` or `expression`, not both")
    if not has_nodes and not has_expr:
        raise doc.error("missing field `nodes` (the operations in order) or `expression`")
    node_sources, expr_src = [], None
    if has_expr:
        edoc = doc["expression"]
        expr_src = _Text(edoc.text(what="an expression"), edoc)
        if doc.get("output") is not None:
            raise doc["output"].error("with `expression`, the output is the expression itself "
                                      "(no `output`)")
    else:
        ndoc = doc["nodes"]
        if not ndoc.is_map:
            raise ndoc.error("expected a mapping of node names to expressions, in order "
                             "(q: x + y)")
        seen = {}
        for name, kdoc, vdoc in ndoc.entries():
            _check_name(name, kdoc.error, "a node")
            if name in inputs:
                raise kdoc.error(f"{name} is an input already; a node needs a name of its own")
            if name in seen:
                raise kdoc.error(f"node {name} is defined twice (first on line {seen[name]})")
            seen[name] = kdoc.line
            node_sources.append((name, _Text(vdoc.text(what="an expression"), vdoc),
                                 vdoc.error))
        if not node_sources:
            raise ndoc.error("expected at least one node")
    output = None
    if doc.get("output") is not None:
        od = doc["output"]
        output = (od.text(what="a node's name"), od.error)
    parameters = None
    if doc.get("parameters") is not None:
        pd = doc["parameters"]
        items = pd.items() if pd.is_seq else [pd]
        parameters = ([(it.text(what="an input's name"), it.error) for it in items], pd.error)
    lr = None
    lr_where = ()
    if doc.get("learning_rate") is not None:
        ld = doc["learning_rate"]
        lr = ld.number(positive=True, what="a learning rate")
        lr_where = (_doc_where(ld), ld.error)
    optimizer = None
    if doc.get("optimizer") is not None:
        from ..optimizer import parse_optimizer
        od = doc["optimizer"]
        if parameters is None:
            raise od.error("an optimizer needs `parameters`: the inputs to update")
        optimizer = parse_optimizer(od, lr)
        if lr is None:
            lr = optimizer.lr
            lr_where = (_doc_where(od), od.error)
    steps = None
    if doc.get("steps") is not None:
        sd = doc["steps"]
        n = sd.integer(positive=True, what="a number of steps")
        if n > MAX_STEPS:
            raise sd.error(f"expected at most {MAX_STEPS} steps, got {n}")
        steps = (n, sd.error)
    problem = _build(inputs, node_sources, expr_src, output, title, where, parameters, lr,
                     steps, lr_where, doc["expression" if has_expr else "nodes"].error)
    problem.optimizer = optimizer
    return problem


def _option_error(option: str):
    def err(message: str) -> ProblemError:
        return ProblemError(message, field=option)
    return err


def parse_at(text: str, option: str = "--at") -> tuple[dict, dict]:
    """``x=-2,y=5,z=-4`` → ({x: −2, y: 5, z: −4}, where)."""
    err = _option_error(option)
    inputs, where = {}, {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise err(f"a value is missing between commas in {text!r}")
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq:
            raise err(f"expected name=value (as x=-2), got {part!r}")
        _check_name(name, err, "an input")
        if name in inputs:
            raise err(f"{name} is given twice")
        try:
            inputs[name] = parse_number(value)
        except ValueError as e:
            raise err(f"{name}: {e}") from None
        where[name] = (None, None, None, option)
    return inputs, where


def from_expression(expression: str, at: str | None, parameters: str | None = None,
                    learning_rate: str | None = None, steps: int | None = None,
                    title: str | None = None) -> GraphProblem:
    """A GraphProblem from the command line: an expression and ``--at`` values."""
    src = _Text(expression, None)
    tree = _parse_text(src)          # a bad expression first, whatever the values
    inputs, where = parse_at(at) if at else ({}, {})
    missing = [n.id for n in names_in(tree) if n.id not in inputs]
    if missing:
        uniq = list(dict.fromkeys(missing))
        listed = ",".join(f"{n}=…" for n in uniq)
        raise ProblemError(f"no value for {', '.join(uniq)}: give {'it' if len(uniq) == 1 else 'them'}"
                           f" with --at {listed}", field="--at")
    params = None
    if parameters is not None:
        perr = _option_error("--parameters")
        params = ([(p.strip(), perr) for p in parameters.split(",") if p.strip()], perr)
    lr = None
    lr_where = ()
    if learning_rate is not None:
        lerr = _option_error("--learning-rate")
        try:
            lr = parse_number(learning_rate)
        except ValueError as e:
            raise lerr(str(e).replace("a number", "a learning rate", 1)) from None
        if lr <= 0:
            raise lerr(f"expected a learning rate > 0, got {learning_rate}")
        lr_where = ((None, None, None, "--learning-rate"), lerr)
    st = None
    if steps is not None:
        serr = _option_error("--steps")
        if steps > MAX_STEPS:
            raise serr(f"expected at most {MAX_STEPS} steps, got {steps}")
        st = (steps, serr)
    return _build(inputs, [], src, None, title, where, params, lr, st, lr_where,
                  _option_error("expression"))
