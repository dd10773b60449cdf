"""A p-norm regularization problem: p, α, the weights, and optionally ∇J and η.

With no weights the problem is symbolic: the derivation for any p (no `p`, or `p: p`), or for
a given p (and α). The same checks read a YAML file (``parse``) and command-line options
(``from_options``), so both give the same problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ...errors import ProblemError
from ...numbers import exact_power, parse_number
from ..common import choose_exact, to_mode

FIELDS = ["kind", "title", "p", "alpha", "weights", "loss_gradient", "learning_rate"]
OPTION_NAMES = {"p": "--p", "alpha": "--alpha", "weights": "--weights",
                "loss_gradient": "--loss-gradient", "learning_rate": "--learning-rate"}
MAX_P = 10 ** 6          # beyond homework, and float(p) must stay finite


@dataclass
class RegularizeProblem:
    """The penalty α‖w‖ₚᵖ: p (None: any p), α (None: symbolic), the weights (None: symbolic)."""

    p: Fraction | None = None
    alpha: Fraction | None = None
    weights: object | None = None          # vector or matrix (exact object array or float64)
    loss_gradient: object | None = None    # ∇J, the weights' shape
    learning_rate: Fraction | None = None
    exact: bool = True
    title: str | None = None
    kind: str = "regularize"
    # where `weights` and `learning_rate` were given, (path, line, col, field): for the solver's
    # errors (a penalty or a step too large for a float), which ProblemError(msg, *where) names
    weights_where: tuple = ()
    learning_rate_where: tuple = ()

    @property
    def symbolic(self) -> bool:
        """No weights: the derivation only."""
        return self.weights is None


class _Option:
    """A command-line option's text, read like a YAML field (errors name the option)."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.option = OPTION_NAMES[name]
        self.text_value = str(text)

    def error(self, message: str, field: str | None = None) -> ProblemError:
        return ProblemError(message, field=self.option)

    @property
    def where(self) -> tuple:
        """(path, line, col, field) of the option: its name alone."""
        return (None, None, None, self.option)

    def number(self, what: str = "a number", **_kw) -> Fraction:
        try:
            return parse_number(self.text_value)
        except ValueError as e:
            raise self.error(str(e).replace("a number", what, 1)) from None

    def array(self, ndims=(0, 1, 2), what: str = "a matrix"):
        """`1,-2,0.5` (a vector), `1,-2;0.5,3` (a matrix, rows split by `;`), or a file name."""
        import numpy as np
        from ...load.arrays import MATRIX_SUFFIXES, read_matrix_file
        s = self.text_value.strip()
        if s.lower().endswith(MATRIX_SUFFIXES):
            arr = read_matrix_file(s)
        else:
            rows = [r for r in s.split(";")]
            if any(not r.strip() for r in rows):
                raise self.error(f"expected numbers separated by commas, rows separated by `;` "
                                 f"(e.g. 1,-2;0.5,3), got {s!r}")
            if re.search(r",\s*(,|;|$)|(^|;)\s*,", s):
                raise self.error(f"a value is missing between commas in {s!r}")
            values = []
            for r in rows:
                toks = [t for t in re.split(r"[,\s]+", r.strip()) if t]
                row = []
                for t in toks:
                    try:
                        row.append(parse_number(t))
                    except ValueError as e:
                        raise self.error(f"{e} (numbers are separated by commas, rows by `;`)") \
                            from None
                values.append(row)
            widths = {len(r) for r in values}
            if len(widths) > 1:
                counts = ", ".join(str(len(r)) for r in values)
                raise self.error(f"ragged matrix: rows have {counts} numbers")
            arr = np.empty((len(values), len(values[0])), dtype=object)
            for i, row in enumerate(values):
                arr[i, :] = row
            if len(values) == 1:
                arr = arr[0]
        if arr.ndim not in ndims:
            raise self.error(f"expected {what}, got an array of shape "
                             f"{'×'.join(map(str, arr.shape))}")
        return arr


def _is_symbol_p(field) -> bool:
    """`p: p` (or `--p p`): the derivation for any p."""
    if isinstance(field, _Option):
        return field.text_value.strip() == "p"
    from ...load.yamldoc import STR_TAG
    return field.is_scalar and field.node.tag == STR_TAG and str(field.node.value).strip() == "p"


def _shape_words(shape) -> str:
    if len(shape) == 1:
        return f"{shape[0]} value{'s' * (shape[0] != 1)}"
    return "a " + "×".join(map(str, shape)) + " matrix"


def _build(fields: dict, missing, label, title: str | None) -> RegularizeProblem:
    """The checks both forms share. ``fields`` maps names to Docs/_Options (absent: None);
    ``missing(name, why)`` is the error for a field that must be given, ``label(name)`` how
    the user wrote a field (`weights` or --weights)."""
    p = None
    pf = fields.get("p")
    if pf is not None and not _is_symbol_p(pf):
        p = pf.number(what="p (a number > 0, or the letter p for any p)")
        if p <= 0:
            raise pf.error(f"expected p > 0, got {_text(p)}: for p ≤ 0, Σ|wᵢ|ᵖ does not grow "
                           f"with the weights and is no penalty")
        if p > MAX_P:
            raise pf.error(f"expected p ≤ {MAX_P:,}, got {_written(pf)}")
    alpha = None
    af = fields.get("alpha")
    if af is not None:
        alpha = af.number(what="alpha (a number ≥ 0)")
        if alpha < 0:
            raise af.error(f"expected alpha ≥ 0, got {_text(alpha)}: a negative α rewards "
                           f"large weights")

    wf = fields.get("weights")
    if wf is None:
        for name in ("loss_gradient", "learning_rate"):
            if fields.get(name) is not None:
                raise fields[name].error(f"needs the weights ({label('weights')}) to compute "
                                         f"with")
        return RegularizeProblem(p=p, alpha=alpha, title=title)

    if pf is None or p is None:
        if pf is not None:
            raise pf.error("expected a number for p: the weights need one to compute with")
        raise missing("p", "the weights need a p to compute the penalty")
    if alpha is None:
        raise missing("alpha", "the weights need an α to compute the penalty")
    w = wf.array(ndims=(0, 1, 2), what="weights (a vector or a matrix)")
    if w.ndim == 0:
        w = w.reshape(1)
    lg = None
    gf = fields.get("loss_gradient")
    if gf is not None:
        lg = gf.array(ndims=(0, 1, 2), what="a gradient ∇J (a vector or a matrix)")
        if lg.ndim == 0:
            lg = lg.reshape(1)
        if lg.shape != w.shape:
            raise gf.error(f"expected {_shape_words(w.shape)} (one per weight), got "
                           f"{_shape_words(lg.shape)}")
    lr = None
    lf = fields.get("learning_rate")
    if lf is not None:
        lr = lf.number(what="a learning rate")
        if lr <= 0:
            raise lf.error(f"expected a learning rate > 0, got {_text(lr)}")

    exact = choose_exact([w, lg]) and exact_power(p)
    return RegularizeProblem(p=p, alpha=alpha, weights=to_mode(w, exact),
                             loss_gradient=None if lg is None else to_mode(lg, exact),
                             learning_rate=lr, exact=exact, title=title,
                             weights_where=_where(wf),
                             learning_rate_where=() if lf is None else _where(lf))


def _where(field) -> tuple:
    """(path, line, col, field) of a Doc or an _Option, for a ProblemError raised later."""
    if isinstance(field, _Option):
        return field.where
    return (field.path, field.line, field.col, field.field)


def _written(field) -> str:
    """A value as the user wrote it."""
    return field.text_value.strip() if isinstance(field, _Option) else str(field.node.value)


def _text(x: Fraction) -> str:
    from ...numbers import format_number
    return format_number(x, 6, True).text


def parse(doc) -> RegularizeProblem:
    """A RegularizeProblem from a problem file."""
    doc.keys(FIELDS)
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    fields = {name: doc.get(name) for name in FIELDS[2:]}

    def missing(name, why):
        return doc.error(f"missing field `{name}` ({why})")
    return _build(fields, missing, lambda name: f"`{name}`", title)


def from_options(p=None, alpha=None, weights=None, loss_gradient=None, learning_rate=None,
                 title=None) -> RegularizeProblem:
    """A RegularizeProblem from command-line option texts (None: not given)."""
    given = {"p": p, "alpha": alpha, "weights": weights, "loss_gradient": loss_gradient,
             "learning_rate": learning_rate}
    fields = {k: _Option(k, v) for k, v in given.items() if v is not None}

    def missing(name, why):
        return ProblemError(f"missing option {OPTION_NAMES[name]} ({why})")
    return _build(fields, missing, lambda name: OPTION_NAMES[name], title)
