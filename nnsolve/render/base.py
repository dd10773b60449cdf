"""What every renderer shares: dispatch on the node's class, and the number options."""

from __future__ import annotations

from dataclasses import dataclass

from ..expr import Expr, Mat, Mul, Num, Text
from ..numbers import Formatted, format_number
from ..solution import Block
from .precedence import ADD, MUL, POW, needs_parens, precedence, starts_with_digit


@dataclass(frozen=True)
class RenderOptions:
    """How to show a solution: digits, fractions, terminal width and colour, LaTeX fragment."""

    precision: int = 6
    exact: bool = False
    width: int = 100
    color: bool = False
    fragment: bool = False


class Printer:
    """Dispatches ``print(node)`` to ``_print_<ClassName>`` (as sympy's printers do).

    A formula printer (text, LaTeX) writes a part inside a larger formula through
    ``parenthesize(part, level)``, and the parts of sums, differences, products, powers and the
    rest through the methods below (``terms``, ``factors``, ``pow_base``, ...), which decide
    every parenthesis from the one table of ``precedence.py``; a printer says only how it prints
    a part (``part``) and how it writes parentheses (``wrap``)."""

    inline_fractions = True     # a/b on one line (the text); LaTeX stacks \frac{a}{b}

    def __init__(self, options: RenderOptions | None = None):
        self.options = options or RenderOptions()
        self._lead = True         # the part being printed comes first where it stands
        self._last = True         # and no factor follows it
        self._formatted: dict = {}

    def print(self, node, *args, **kwargs):
        for cls in type(node).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(node, *args, **kwargs)
        raise TypeError(f"{type(self).__name__} cannot print {type(node).__name__}")

    def fmt(self, x) -> Formatted:
        """A number as text, by the one formatter (once per value: the parentheses around a
        number depend on its text too)."""
        key = (type(x), x)
        try:
            return self._formatted[key]
        except KeyError:
            f = self._formatted[key] = format_number(x, self.options.precision,
                                                     self.options.exact)
            return f
        except TypeError:        # an unhashable value
            return format_number(x, self.options.precision, self.options.exact)

    # --- parentheses ----------------------------------------------------------------------
    def _number_text(self, x) -> str:
        return self.fmt(x).text

    def precedence(self, e, first: bool = False, last: bool = True) -> int:
        """The precedence of a formula part as this printer writes it (its numbers' text)."""
        return precedence(e, first, last, self._number_text, self.inline_fractions)

    def needs_parens(self, e, level: int, strict: bool = False, first: bool = False,
                     last: bool = True) -> bool:
        """True when ``e`` is written in parentheses where a part of ``level`` stands."""
        return needs_parens(e, level, strict, first, last, self._number_text,
                            self.inline_fractions)

    def part(self, e):
        """A formula part printed (a Box, a LaTeX string); subclasses define it."""
        raise NotImplementedError

    def wrap(self, printed):
        """A printed part in parentheses; subclasses define it."""
        raise NotImplementedError

    def within(self, e, first: bool = True, last: bool = True):
        """``e`` printed where it comes first (a formula of its own: an argument, a side of a
        relation, what stands in parentheses) or, with ``first=False``, after something; and
        where no factor follows it (``last``) or one does."""
        saved = self._lead, self._last
        self._lead, self._last = first, last
        try:
            return self.part(e)
        finally:
            self._lead, self._last = saved

    def parenthesize(self, e, level: int, strict: bool = False, first: bool = False,
                     last: bool = True, force: bool = False):
        """``e`` printed where a part of precedence ``level`` stands: in parentheses when its
        precedence is lower (or equal, with ``strict``), or when ``force``."""
        if force or self.needs_parens(e, level, strict, first, last):
            return self.wrap(self.within(e))
        return self.within(e, first, last)

    def terms(self, e) -> list:
        """The printed terms of a sum: a term after the first in parentheses when it is a sum,
        a difference or starts with a minus sign (a + (−3), a + (b − c))."""
        lead = self._lead
        return [self.parenthesize(t, ADD, strict=i > 0, first=lead and i == 0)
                for i, t in enumerate(e.terms)]

    def sub_parts(self, e) -> tuple:
        """The printed sides of a − b: b in parentheses when it is a sum, a difference or starts
        with a minus sign (a − (−b), a − (b − c))."""
        return (self.parenthesize(e.left, ADD, first=self._lead),
                self.parenthesize(e.right, ADD, strict=True))

    def neg_arg(self, e):
        """The printed argument of −a: in parentheses when it is a sum or starts with a minus."""
        return self.parenthesize(e.arg, MUL, last=self._last)

    def factors(self, e) -> list:
        """The printed factors of a product: a sum, or a factor that starts with a minus sign
        after the first, in parentheses; so too a product with another operator (a · (b ⊙ c))
        and a Σ that factors follow (its body would seem to take them)."""
        lead, tail, n = self._lead, self._last, len(e.factors)
        return [self.parenthesize(f, MUL, first=lead and i == 0, last=tail and i == n - 1,
                                  force=isinstance(f, Mul) and f.op not in (e.op, "juxt"))
                for i, f in enumerate(e.factors)]

    def juxt_sign(self, e, i: int) -> bool:
        """True when factor ``i`` of a juxtaposed product (ab) needs a product sign before it:
        it starts with a digit, so it would run into the factor before (2 · 3, not 23)."""
        f = e.factors[i]
        return i > 0 and starts_with_digit(f, self._number_text) and \
            not self.needs_parens(f, MUL, last=i == len(e.factors) - 1)

    def pow_base(self, e):
        """The printed base of a power: in parentheses unless it binds tighter than the power
        (a symbol, a number, a call: x², σ(a)², but (−3)², (a · b)², (x²)³, (2/3)²)."""
        return self.parenthesize(e.base, POW, strict=True, last=False)

    def inline_frac_parts(self, e) -> tuple:
        """The printed numerator and denominator of a/b written on one line: a sum, a product
        or a quotient in parentheses ((a + b)/c, a/(b · c)), and a denominator that starts with
        a minus sign."""
        return (self.parenthesize(e.num, MUL, strict=True, first=self._lead, last=False),
                self.parenthesize(e.den, MUL, strict=True, last=self._last))

    def sum_body(self, e):
        """The printed body of Σ: in parentheses when it is a sum or starts with a minus sign."""
        return self.parenthesize(e.body, MUL, last=self._last)

    def deriv_parts(self, e) -> tuple:
        """The printed f and x of ∂f/∂x (f None for the operator): in parentheses when they
        are more than a symbol, a call or a power (∂(a + b)/∂x)."""
        f = None if e.f is None else self.parenthesize(e.f, POW)
        return f, self.parenthesize(e.x, POW)

    # --- numbers ----------------------------------------------------------------------------
    def rounded(self, e) -> bool:
        """True when a formula part shows a rounded number (so '=' before it becomes '≈'): of a
        matrix, the cells it shows (``shown_cells``, which every printer of a matrix uses)."""
        if isinstance(e, Num):
            return self.fmt(e.value).approx
        if isinstance(e, Mat):
            return any(self.fmt(x).approx for grid in shown_cells(e.values) for row in grid
                       for x in row if x is not None)
        if isinstance(e, Expr):
            return any(self.rounded(c) for c in children(e))
        return False

    def shown_op(self, op: str, right) -> str:
        """A relation inside a formula (a Rel, or ``=`` written as a Text in a Seq): '=' turned
        to '≈' before a part that shows a rounded number, as between an Equation's parts."""
        return "≈" if op == "=" and self.rounded(right) else op

    def seq_items(self, e) -> tuple:
        """The items of a Seq, an ``=`` written as a Text (a short chain a = b in running text)
        turned to ``≈`` before an item that shows a rounded number."""
        items = list(e.items)
        for i in range(len(items) - 1):
            t = items[i]
            if isinstance(t, Text) and t.text.strip() == "=" and self.rounded(items[i + 1]):
                items[i] = Text(t.text.replace("=", "≈"))
        return tuple(items)

    def relations(self, eq) -> list[str]:
        """The relations of an Equation, '=' turned to '≈' before a rounded part."""
        rels = eq.relations()
        return ["≈" if r == "=" and self.rounded(p) else r for r, p in zip(rels, eq.parts[1:])]


class LinePrinter(Printer):
    """A renderer that writes a document line by line (Markdown, LaTeX): the walk over a
    solution, running text and table cells are the same for every such format; a subclass says
    how plain text is escaped (``escape``) and how a formula sits in text (``inline_math``)."""

    def __init__(self, options: RenderOptions | None = None):
        super().__init__(options)
        self.out: list[str] = []

    def emit(self, *lines: str):
        self.out.extend(lines)

    def body(self, solution) -> list[str]:
        """The lines of every block of the solution, headed by its title."""
        self.out = []
        if solution.title:
            self.heading(solution.title, 0)
        for block in solution.blocks:
            self.print(block, 1)
        return self.out

    def inline(self, parts) -> str:
        """Running text with inline formulas (None parts are skipped)."""
        return "".join(self.escape(p) if isinstance(p, str) else self.inline_math(p)
                       for p in parts if p is not None)

    def cell(self, c) -> str:
        """A table cell: text, a formula, or a list of both."""
        if c is None:
            return ""
        if isinstance(c, str):
            return self.escape(c)
        if isinstance(c, (list, tuple)):
            return self.inline(c)
        return self.inline_math(c)


MAX_ROWS, MAX_COLS = 12, 10   # a larger matrix is shown by its corners


def shown_cells(values) -> list:
    """The cells of a matrix that a printer shows, as a list of 2-D grids (rows of cells,
    ``None`` for an ellipsis): a number alone is one 1×1 grid, a vector one column, a matrix its
    corners when it is large (``visible``), an array of more dimensions one grid per matrix.
    Every printer of a matrix shows these cells and ``Printer.rounded`` looks at these, so '='
    or '≈' before a matrix is decided by what is on the page."""
    import numpy as np
    v = np.asarray(values)
    if v.ndim == 0:
        return [[[v[()]]]]
    if v.ndim == 1:
        return [visible(v.reshape(-1, 1))]
    if v.ndim == 2:
        return [visible(v)]
    return [g for m in v for g in shown_cells(m)]


def visible(values, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS):
    """The cells of a 2-D array to show: its corners when it is large, ``None`` for an ellipsis.

    Returns a list of rows (a row of ``None`` stands for the skipped rows); so no renderer formats
    all of a 784×64 matrix."""
    rows, cols = values.shape
    def pick(n, m):
        if n <= m:
            return list(range(n))
        half = (m - 1) // 2
        return list(range(half)) + [None] + list(range(n - half, n))
    ri, ci = pick(rows, max_rows), pick(cols, max_cols)
    return [[None] * len(ci) if r is None else
            [None if c is None else values[r, c] for c in ci] for r in ri]


def children(e: Expr):
    """The sub-formulas of a formula node."""
    for name in e._fields:
        v = getattr(e, name)
        if isinstance(v, Expr):
            yield v
        elif isinstance(v, tuple):
            for item in v:
                if isinstance(item, Expr):
                    yield item
                elif isinstance(item, tuple):
                    yield from (x for x in item if isinstance(x, Expr))


# Characters of a user's text that would act on a terminal or a reader instead of being shown:
# C0 and C1 controls (ESC starts a terminal escape sequence), DEL, and the bidirectional
# overrides and isolates that reorder what is displayed.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown_text(s: str) -> str:
    """User text (a title, a name) as it may be shown: control characters dropped, a tab or
    a line break as a space."""
    if s.isprintable():
        return s
    import unicodedata
    return "".join(" " if c in "\t\n\r" else "" if (unicodedata.category(c) == "Cc" or c in _BIDI)
                   else c for c in s)


def _clean(value):
    if isinstance(value, str):
        return shown_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, Block):
        for name in value.__slots__:
            if name not in ("values", "marked"):
                setattr(value, name, _clean(getattr(value, name)))
    return value


def clean_solution(solution) -> None:
    """Strip control characters from every text of a solution (in place; formulas are built by
    nnsolve and left as they are), before a renderer writes it for a terminal or a reader."""
    if solution.title is not None:
        solution.title = shown_text(solution.title)
    solution.blocks = _clean(solution.blocks)
