r"""Moodle quizzes: one Moodle XML file, a cloze ("embedded answers") question per variant.

Each question states the problem (its given values, matrices in TeX for Moodle's MathJax filter)
and asks for results as embedded NUMERICAL answers, ``{1:NUMERICAL:=value:tolerance}``, one per
number (a matrix is a table of them). The tolerance is check's: a value is right within the
absolute or the relative tolerance, so Moodle's absolute margin is max(abs, rel·|value|).

What Moodle's importer reads (question/format/xml/format.php, ``import_multianswer``, and the
cloze parser of question/type/multianswer/questiontype.php): ``<question type="cloze">`` with
``<name><text>``, ``<questiontext format="html"><text>`` (here in CDATA) and
``<generalfeedback>``; inside the text, each ``{N:NUMERICAL:=X:T}`` with X and T matching
``-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)``. An answer's text or feedback would
end at an unescaped ``}``, ``#`` or ``~`` (Moodle asks a backslash before ``}#~/"\``); these
answers hold numbers only, and no feedback. CDATA keeps the HTML and TeX as written (a ``]]>``
in it is split across two sections).
"""

from __future__ import annotations

import html
import re
from fractions import Fraction
from fnmatch import fnmatchcase

import numpy as np

from .numbers import format_number

__all__ = ["default_ask", "select_fields", "cloze_numerical", "question_html", "quiz_xml",
           "moodle_quiz", "moodle_number", "AskError"]

NUMBER_RE = re.compile(r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)\Z")


class AskError(ValueError):
    """An --ask pattern that names no result of the problem."""


# --- which results are asked -------------------------------------------------------------------

def _paths(tree, prefix=()) -> list:
    """Every numeric leaf of an answer tree, as a path of keys, in the tree's order."""
    out = []
    for k, v in tree.items():
        if isinstance(v, dict):
            out += _paths(v, prefix + (k,))
        elif v is not None and not isinstance(v, str):
            out.append(prefix + (k,))
    return out


def field_name(path: tuple) -> str:
    """A path as the answers files of `check` write it: ``layers.1.dJ_dW``."""
    return ".".join(str(p) for p in path)


def default_ask(kind: str, tree: dict, data: dict) -> list:
    """The results asked by default: for backprop the loss, the output, the gradients of the
    first layer's parameters and every updated parameter; for shape each layer's output shape
    (but an activation's, which only repeats it), each parameter count that is not 0 and the
    total; for graph each node's value and the output's gradient with respect to each input;
    for the other kinds every computed result."""
    paths = _paths(tree)
    if kind == "backprop":
        keep = []
        for p in paths:
            if p in (("loss",), ("output",)):
                keep.append(p)
            elif p[0] == "layers" and len(p) == 3 and (
                    (p[1] == 1 and p[2].startswith("dJ_d") and p[2] not in ("dJ_dh", "dJ_da"))
                    or p[2].endswith("_new")):
                keep.append(p)
        order = {("loss",): 0, ("output",): 1}
        return sorted(keep, key=lambda p: (order.get(p, 2), p[2].endswith("_new") if
                                           len(p) == 3 else False, p[1:] if len(p) == 3 else ()))
    if kind == "graph" and isinstance(data.get("nodes"), list):
        nodes = [n.get("name") for n in data["nodes"]]
        inputs = [k for k in data.get("values", {}) if k not in nodes]
        keep = [("values", n) for n in nodes] + [("gradients", n) for n in inputs]
        return [p for p in keep if p in paths]
    if kind == "shape":
        types = [layer.get("type") for layer in data.get("layers", [])]
        keep = []
        for p in paths:
            if p[0] == "layers" and len(p) == 3:
                t = types[p[1] - 1] if p[1] - 1 < len(types) else None
                if p[2] == "output_shape" and t in ("conv", "conv_transpose", "pool", "dense",
                                                    "flatten", "global_avg_pool", "residual"):
                    keep.append(p)
                elif p[2] == "parameters" and _value(tree, p) != 0:
                    keep.append(p)
            elif p[0] == "total_parameters":
                keep.append(p)
        return keep
    return paths


def given_paths(kind: str, problem: dict, tree: dict) -> set:
    """The leaves of the answer tree that the problem itself gives, which a quiz must not ask:
    for graph the values of its inputs (``values.x``), in every step for an input that is not
    a parameter, and in the first step for a parameter (later steps compute it)."""
    if kind != "graph" or not isinstance(problem.get("inputs"), dict):
        return set()
    inputs = set(problem["inputs"])
    params = set(problem.get("parameters") or ())
    out = set()
    for p in _paths(tree):
        if p[:1] == ("values",) and len(p) == 2 and p[1] in inputs:
            out.add(p)
        elif p[:1] == ("steps",) and len(p) == 4 and p[2] == "values" and p[3] in inputs and \
                (p[3] not in params or p[1] == 1):
            out.add(p)
    return out


def select_fields(tree: dict, patterns: list, given: set = frozenset()) -> list:
    """The paths an --ask list names, in the order given: field names as in answers files,
    ``*`` for any one part (``layers.*.W_new``); never a ``given`` one (a value the problem
    states). A pattern naming no result is an AskError."""
    paths = [p for p in _paths(tree) if p not in given]
    names = [field_name(p) for p in paths]
    out = []
    for pat in patterns:
        parts = pat.split(".")
        # part by part (a * stands for one part); a shorter pattern asks all below it
        hits = [p for p in paths if len(parts) <= len(p) and
                all(fnmatchcase(str(k), q) for k, q in zip(p, parts))]
        if not hits and any(len(parts) <= len(p) and
                            all(fnmatchcase(str(k), q) for k, q in zip(p, parts))
                            for p in given):
            raise AskError(f"{pat} names only values the problem gives (its inputs), not "
                           f"results; ask for computed ones: {', '.join(names)}")
        if not hits:
            import difflib
            close = difflib.get_close_matches(pat, names, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise AskError(f"{pat} names no result of this problem{hint} (its results: "
                           f"{', '.join(names)})")
        out += [p for p in hits if p not in out]
    return out


def _value(tree, path):
    for k in path:
        tree = tree[k]
    return tree


# --- numbers and embedded answers --------------------------------------------------------------

def moodle_number(x) -> str:
    """A number as Moodle's numerical answers read it: 3, -18, 1.18, 0.333333333333333, 1e-20."""
    f = format_number(x, precision=15)
    text = f.text.replace("−", "-")
    if not NUMBER_RE.match(text):
        text = "%.15g" % float(x)
    if not NUMBER_RE.match(text):
        raise ValueError(f"{x!r} cannot be a Moodle numerical answer")
    return text


def tolerance_for(value, tolerance) -> Fraction | float:
    """Check's tolerance (right within abs or within rel·|value|) as one absolute margin."""
    if isinstance(value, float):
        return max(float(tolerance.abs), float(tolerance.rel) * abs(value))
    v = abs(Fraction(value))
    return max(Fraction(tolerance.abs), Fraction(tolerance.rel) * v)


def cloze_numerical(value, tolerance, mark: int = 1) -> str:
    """One embedded numerical answer: ``{1:NUMERICAL:=1.18:0.00118}``. It holds only numbers,
    so nothing in it needs escaping (``}``, ``#``, ``~``, ``/``, ``"``, ``\\`` would, in an
    answer's text or feedback)."""
    return (f"{{{mark}:NUMERICAL:={moodle_number(value)}:"
            f"{moodle_number(tolerance_for(value, tolerance))}}}")


# --- the statement -----------------------------------------------------------------------------

_SYMBOLS = {"input": "x", "target": "y", "learning_rate": r"\eta", "kernel": "K",
            "alpha": r"\alpha", "p": "p", "weights": "W", "bias": "b", "loss_gradient":
            r"\nabla J", "stride": "s", "padding": "p", "dilation": "d"}
_ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "leaky ReLU (slope 0.01)", "relu6": "ReLU6",
                "linear": "linear", "identity": "linear", "none": "linear", "sigmoid": "sigmoid",
                "tanh": "tanh", "softmax": "softmax"}
_LOSSES = {
    "squared_error": r"J = \sum_k (y_k - \hat y_k)^2",
    "half_squared_error": r"J = \tfrac{1}{2} \sum_k (y_k - \hat y_k)^2",
    "mse": r"J = \tfrac{1}{K} \sum_k (y_k - \hat y_k)^2",
    "cross_entropy": r"J = -\sum_k y_k \log \hat y_k",
    "binary_cross_entropy": r"J = -\sum_k \left[y_k \log \hat y_k + (1 - y_k) \log (1 - \hat y_k)"
                            r"\right]",
}


def _tex_number(x) -> str:
    return moodle_number(x)


def tex_array(a) -> str:
    """A number, vector (a column) or matrix in TeX: ``\\begin{pmatrix} 1 \\\\ -1 \\end{pmatrix}``."""
    a = np.asarray(a, dtype=object)
    if a.ndim == 0:
        return _tex_number(a[()])
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim == 2:
        rows = [" & ".join(_tex_number(v) for v in row) for row in a.tolist()]
        return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"
    return r",\ ".join(tex_array(sub) for sub in a)


def _numeric(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, Fraction)):
        return True
    if isinstance(v, str):
        try:
            Fraction(v)
            return True
        except ValueError:
            return False
    if isinstance(v, list):
        return bool(v) and all(_numeric(x) for x in v)
    return False


def _num(v):
    if isinstance(v, list):
        return [_num(x) for x in v]
    return Fraction(str(v)) if not isinstance(v, Fraction) else v


def _given_html(key, value, layer: int | None = None, nested: bool = False,
                kind: str | None = None) -> str:
    """One given value of the problem as HTML (TeX maths inside \\( \\)): a symbol where the
    exercise names one (x, y, W⁽ˡ⁾, b⁽ˡ⁾, η, ...), else the field's name."""
    words = html.escape(str(key).replace("_", " "))
    if key == "loss" and value in _LOSSES:
        return f"the loss: {html.escape(str(value).replace('_', ' '))}, \\({_LOSSES[value]}\\)"
    if key == "activation" and isinstance(value, str) and value in _ACTIVATIONS:
        return f"activation: {_ACTIVATIONS[value]}"
    if key == "activation" and isinstance(value, dict) and value.get("name") == "leaky_relu":
        return f"activation: leaky ReLU (slope {html.escape(str(value.get('alpha', 0.01)))})"
    if kind == "graph" and key == "inputs" and isinstance(value, dict):
        return "the inputs " + ", ".join(f"\\({_tex_name(k)} = {tex_array(_num(v))}\\)"
                                         if _numeric(v) else html.escape(f"{k} = {v}")
                                         for k, v in value.items())
    if kind == "graph" and key == "nodes" and isinstance(value, dict):
        return "the nodes, in order:<ul>" + "".join(
            f"<li><code>{html.escape(f'{k} = {v}')}</code></li>" for k, v in value.items()) + \
            "</ul>"
    if kind == "graph" and key in ("expression", "output") and isinstance(value, str):
        return f"{words}: <code>{html.escape(value)}</code>"
    if kind == "shape" and key == "input" and _numeric(value):
        dims = value if isinstance(value, list) else [value]
        return "the input shape \\(" + r" \times ".join(str(d) for d in dims) + \
            "\\) (channels first)"
    sym = None
    if layer is not None and key in ("weights", "bias"):
        sym = f"{_SYMBOLS[key]}^{{({layer})}}"
    elif not nested and layer is None:
        sym = "w" if key == "weights" else _SYMBOLS.get(key)
    if _numeric(value):
        if sym is None and not isinstance(value, list):
            return f"{words} {html.escape(str(value))}"
        tex = tex_array(_num(value))
        return f"\\({sym} = {tex}\\)" if sym else f"{words} \\({tex}\\)"
    if isinstance(value, dict):
        inner = ", ".join(_given_html(k, v, nested=True) for k, v in value.items())
        return f"{words}: {inner}"
    if isinstance(value, list):
        items = "".join(f"<li>{_item_html(v, i)}</li>" for i, v in enumerate(value, start=1))
        return f"{words}:<ol>{items}</ol>"
    if isinstance(value, bool):       # as the problem file writes it (YAML), not Python's True
        return f"{words}: {'true' if value else 'false'}"
    return f"{words}: {html.escape(str(value))}"


def _tex_name(name) -> str:
    """A node's or input's name in TeX (italic, underscores kept)."""
    return r"\mathit{" + str(name).replace("_", r"\_") + "}"


def _item_html(item, index: int) -> str:
    if isinstance(item, dict):
        return "; ".join(_given_html(k, v, layer=index) for k, v in item.items())
    return html.escape(str(item))


_INTROS = {
    "backprop": r"A fully connected network computes \(a^{(l)} = W^{(l)} h^{(l-1)} + b^{(l)}\) "
                r"(no \(b^{(l)}\) where none is given) and \(h^{(l)} = f(a^{(l)})\) from "
                r"\(h^{(0)} = x\); its output is \(\hat y = h^{(L)}\). Work out the forward "
                r"pass, the loss, the backward pass and @UPDATE@ "
                r"\(W \leftarrow W - \eta\, \partial J / \partial W\)@END@.",
    "backprop_cnn": r"A convolutional network: each conv layer slides its kernels \(K\) over "
                    r"its input window by window (plus its bias where one is given), then its "
                    r"activation; "
                    r"pooling, flatten and dense layers \(a = W h + b\) follow in order; "
                    r"its output is \(\hat y\). Work out the forward pass, the loss, the "
                    r"backward pass and @UPDATE@ \(\theta \leftarrow "
                    r"\theta - \eta\, \partial J / \partial \theta\) for every kernel, "
                    r"weight and bias@END@.",
    "conv": "Work out the convolution layer below window by window (a cross-correlation "
            "slides the kernel as it is; a convolution flips it first).",
    "graph": "Work out the value of each node below, in order, then, backward from the "
             "output (whose gradient with respect to itself is 1), the gradient of the output "
             "with respect to each input.",
    "pool": "Work out the pooling below window by window (max: the largest value in each "
            "window; avg: the mean of its cells that are not padding).",
    "shape": "For the network below, work out each layer's output shape and number of "
             "parameters (weights and biases).",
    "regularize": r"The penalty \(\alpha \|w\|_p^p = \alpha \sum_i |w_i|^p\) is added to a "
                  r"loss \(J\) whose gradient \(\nabla J\) is given. Work out the penalty, "
                  r"its gradient, the gradient of the penalized loss and one step of gradient "
                  r"descent.",
}


def statement_html(problem: dict, kind: str | None = None) -> str:
    """The problem as HTML: each given field (from its YAML, in order) but its kind and title."""
    items = [(k, v) for k, v in problem.items() if k not in ("kind", "title")]
    return "<ul>" + "".join(f"<li>{_given_html(k, v, kind=kind)}</li>" for k, v in items) + \
        "</ul>"


_LABELS = {"loss": "J", "output": r"\hat y", "dJ_dW": r"\frac{{\partial J}}{{\partial W^{{({n})}}}}",
           "dJ_db": r"\frac{{\partial J}}{{\partial b^{{({n})}}}}",
           "dJ_dh": r"\frac{{\partial J}}{{\partial h^{{({n})}}}}",
           "dJ_da": r"\frac{{\partial J}}{{\partial a^{{({n})}}}}",
           "W_new": r"W^{{({n})}} \text{{ after the update}}",
           "dJ_dK": r"\frac{{\partial J}}{{\partial K^{{({n})}}}}",
           "K_new": r"K^{{({n})}} \text{{ after the update}}",
           "b_new": r"b^{{({n})}} \text{{ after the update}}",
           "a": "a^{{({n})}}", "h": "h^{{({n})}}"}


_KIND_LABELS = {
    "regularize": {"penalty": r"\(\alpha \|w\|_p^p\)",
                   "penalty_gradient": r"\(\nabla_w\, \alpha \|w\|_p^p\)",
                   "gradient": r"\(\nabla_w (J + \alpha \|w\|_p^p)\)",
                   "weights_new": r"\(w\) after the update"},
    "conv": {"output": "the output", "output_shape": "the output's height and width",
             "pool.output": "the output after pooling",
             "pool.output_shape": "the height and width after pooling"},
    "pool": {"output": "the output", "output_shape": "the output's height and width"},
    "shape": {"total_parameters": "the parameters in all",
              "output_shape": "the output shape (channels first)"},
}


def label_html(kind: str, path: tuple, types: list | None = None,
               output: str | None = None) -> str:
    """How a question names an asked result: in TeX or words where nnsolve knows the kind, else
    by the field's name in answers files."""
    if kind == "backprop":
        if len(path) == 1 and path[0] in _LABELS:
            return f"\\({_LABELS[path[0]]}\\)"
        if len(path) == 3 and path[0] == "layers" and path[2] in _LABELS:
            return "\\(" + _LABELS[path[2]].format(n=path[1]) + "\\)"
    if kind == "shape" and len(path) == 3 and path[0] == "layers":
        t = types[path[1] - 1] if types and path[1] - 1 < len(types) else None
        what = {"output_shape": "output shape", "parameters": "parameters"}.get(path[2], path[2])
        return html.escape(f"layer {path[1]}" + (f" ({t})" if t else "") + f": {what}")
    if kind == "graph" and len(path) == 2 and path[0] in ("values", "gradients"):
        name = _tex_name(path[1])
        out = _tex_name(output or "f")
        return (f"\\({name}\\)" if path[0] == "values" else
                f"\\(\\partial {out} / \\partial {name}\\)")
    words = _KIND_LABELS.get(kind, {}).get(field_name(path))
    if words is not None:
        return words
    return f"<code>{html.escape(field_name(path))}</code>"


def _blanks_html(value, tolerance) -> str:
    a = np.asarray(value, dtype=object)
    if a.ndim == 0:
        return cloze_numerical(a[()], tolerance)
    if a.ndim == 1:
        a = a.reshape(-1, 1) if a.size > 1 else a.reshape(1, 1)
    if a.ndim > 2:
        return " ".join(_blanks_html(sub, tolerance) for sub in a)
    rows = "".join("<tr>" + "".join(f"<td>{cloze_numerical(v, tolerance)}</td>" for v in row)
                   + "</tr>" for row in a.tolist())
    return f'<table class="nnsolve-matrix" style="display:inline-table">{rows}</table>'


def question_html(kind: str, problem: dict, tree: dict, asked: list, tolerance,
                  types: list | None = None, output: str | None = None) -> str:
    """The question text: the statement, then a blank (or a table of blanks) per asked result."""
    from .numbers import format_number as fmt
    rows = "".join(f"<tr><td>{label_html(kind, p, types, output)} =</td><td>{_blanks_html(_value(tree, p), tolerance)}"
                   f"</td></tr>" for p in asked)
    title = problem.get("title")
    head = f"<p><b>{html.escape(str(title))}</b></p>\n" if title else ""
    layers = problem.get("layers") if isinstance(problem.get("layers"), list) else []
    key = "backprop_cnn" if kind == "backprop" and any(
        isinstance(layer, dict) and "conv" in layer for layer in layers) else kind
    intro = f"<p>{_with_update(_INTROS[key], problem)}</p>\n" if key in _INTROS else ""
    return (f"{head}{intro}<p>Given:</p>\n{statement_html(problem, kind)}\n"
            f"<p>Compute (each number is right within {fmt(tolerance.abs).text} or "
            f"{fmt(tolerance.rel * 100).text}% of it):</p>\n<table>{rows}</table>")


def _with_update(intro: str, problem: dict) -> str:
    """A backprop intro with its update said: one step of gradient descent (the rule between
    @UPDATE@ and @END@ written out), several steps of it, or an optimizer's steps (whose rule
    the solution writes out)."""
    if "@UPDATE@" not in intro:
        return intro
    steps = problem.get("steps", 1) if isinstance(problem.get("steps"), int) else 1
    opt = problem.get("optimizer")
    name = opt.get("name") if isinstance(opt, dict) else opt     # (or `optimizer: adam`)
    head, rest = intro.split("@UPDATE@")
    rule, tail = rest.split("@END@")
    if name:
        return (f"{head}{steps} step{'s' * (steps != 1)} of {html.escape(str(name))}, as "
                f"torch.optim computes {'them' if steps != 1 else 'it'} (its state carried from "
                f"step to step){tail}")
    if steps > 1:
        return f"{head}{steps} steps of gradient descent,{rule}, each from the parameters the " \
               f"step before left{tail}"
    return f"{head}one step of gradient descent,{rule}{tail}"


# --- the quiz file -----------------------------------------------------------------------------

def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def question_xml(name: str, text_html: str, feedback_html: str, idnumber: str) -> str:
    """One cloze question in Moodle XML."""
    return (f'  <question type="cloze">\n'
            f"    <name><text>{html.escape(name, quote=False)}</text></name>\n"
            f'    <questiontext format="html"><text>{_cdata(text_html)}</text></questiontext>\n'
            f'    <generalfeedback format="html"><text>{_cdata(feedback_html)}</text>'
            f"</generalfeedback>\n"
            f"    <penalty>0.3333333</penalty>\n"
            f"    <hidden>0</hidden>\n"
            f"    <idnumber>{html.escape(idnumber, quote=False)}</idnumber>\n"
            f"  </question>\n")


def quiz_xml(category: str, questions: list) -> str:
    """A Moodle XML quiz: a category (so that a quiz can draw a random variant from it), then
    the questions (each from ``question_xml``)."""
    cat = category.replace("/", "//")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
            f'  <question type="category">\n'
            f"    <category><text>$course$/{html.escape(cat, quote=False)}</text></category>\n"
            f"  </question>\n" + "".join(questions) + "</quiz>\n")


_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\\]|\\.)+?)\$(?!\$)", re.S)


def solution_html(problem_text: str) -> str:
    """The worked solution as HTML for a question's general feedback: nnsolve's Markdown
    through markdown-it-py (CommonMark and tables), display maths left as ``$$ … $$`` and inline
    maths turned from ``$ … $`` into ``\\( … \\)``, the delimiters of Moodle's MathJax filter."""
    from markdown_it import MarkdownIt
    from .solve import solve
    text = MarkdownIt("commonmark").enable("table").render(solve(problem_text).to("markdown"))
    parts = text.split("$$")
    for i in range(0, len(parts), 2):       # outside display maths
        parts[i] = _INLINE_MATH.sub(lambda m: "\\(" + m.group(1) + "\\)", parts[i])
    return "$$".join(parts)


def variant_question(gen, seed: int, ask: list | None, tolerance) -> str:
    """The cloze question of one generated variant (``nnsolve.generating.Generated``)."""
    import yaml
    from .generating import answer_key
    problem = yaml.safe_load(gen.text)
    tree = answer_key(gen)
    given = given_paths(gen.kind, problem, tree)
    asked = select_fields(tree, ask, given) if ask else \
        [p for p in default_ask(gen.kind, tree, gen.data) if p not in given]
    types = [layer.get("type") for layer in gen.data.get("layers", [])
             if isinstance(layer, dict)] if isinstance(gen.data.get("layers"), list) else None
    text = question_html(gen.kind, problem, tree, asked, tolerance, types,
                         gen.data.get("output") if isinstance(gen.data.get("output"), str)
                         else None)
    feedback = (f"{solution_html(gen.text)}\n<p>The problem as a file for nnsolve "
                f"(<code>nnsolve solve problem.yaml</code> prints this solution):</p>\n"
                f"<pre>{html.escape(gen.text)}</pre>")
    name = str(problem.get("title") or f"{gen.kind} {seed}")
    return question_xml(name, text, feedback, f"nnsolve-{gen.kind}-{seed}")


def moodle_quiz(kind: str, variants: list, ask: list | None, tolerance, category: str) -> str:
    """The Moodle XML quiz of ``variants``, a list of (seed, Generated)."""
    return quiz_xml(category, [variant_question(gen, seed, ask, tolerance)
                               for seed, gen in variants])
