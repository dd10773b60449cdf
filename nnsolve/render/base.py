"""What every renderer shares: dispatch on the node's class, and the number options."""

from __future__ import annotations

from dataclasses import dataclass

from ..expr import Expr, Mat, Num
from ..numbers import Formatted, format_number
from ..solution import Block


@dataclass(frozen=True)
class RenderOptions:
    """How to show a solution: digits, fractions, terminal width and colour, LaTeX fragment."""

    precision: int = 6
    exact: bool = False
    width: int = 100
    color: bool = False
    fragment: bool = False


class Printer:
    """Dispatches ``print(node)`` to ``_print_<ClassName>`` (as sympy's printers do)."""

    def __init__(self, options: RenderOptions | None = None):
        self.options = options or RenderOptions()

    def print(self, node, *args, **kwargs):
        for cls in type(node).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(node, *args, **kwargs)
        raise TypeError(f"{type(self).__name__} cannot print {type(node).__name__}")

    def fmt(self, x) -> Formatted:
        """A number as text, by the one formatter."""
        return format_number(x, self.options.precision, self.options.exact)

    def rounded(self, e) -> bool:
        """True when a formula part shows a rounded number (so '=' before it becomes '≈')."""
        if isinstance(e, Num):
            return self.fmt(e.value).approx
        if isinstance(e, Mat):
            import numpy as np
            v = np.asarray(e.values)
            v = v.reshape(-1, 1) if v.ndim == 1 else v.reshape(-1, v.shape[-1]) if v.ndim else \
                v.reshape(1, 1)
            return any(self.fmt(x).approx for row in visible(v) for x in row if x is not None)
        if isinstance(e, Expr):
            return any(self.rounded(c) for c in children(e))
        return False

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


def is_negative_number(e: Expr) -> bool:
    """A negative number (shown in parentheses where it is not the first thing in a term)."""
    if isinstance(e, Num):
        try:
            return e.value < 0
        except TypeError:
            return False
    return False


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
