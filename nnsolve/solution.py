"""The one model of a worked solution: a tree of blocks that every renderer prints.

A solver returns a ``Solution``; it never prints and never formats a number. ``blocks`` is what a
person reads (sections, paragraphs, equations, tables, grids); ``data`` is the machine-readable
result, the JSON contract of its kind, holding raw numbers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Solution", "Section", "Paragraph", "Equation", "Table", "Grid", "Network", "Note",
           "Circuit", "CircuitNode", "Block", "Inline"]

Inline = Any    # a piece of running text: a str, or an Expr shown as inline maths


class Block:
    """A block of a solution. (Plain classes, not dataclasses: they are made on every run, and
    creating dataclasses costs milliseconds at import.)"""

    __slots__ = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Section(Block):
    """A titled part of a solution; sections nest."""

    __slots__ = ("title", "blocks")

    def __init__(self, title: str, blocks: list | None = None):
        self.title = title
        self.blocks = list(blocks) if blocks is not None else []

    def add(self, *blocks: Block) -> "Section":
        """Append blocks, and return the section for chaining."""
        self.blocks.extend(b for b in blocks if b is not None)
        return self


class Paragraph(Block):
    """Running text: strings and inline formulas."""

    __slots__ = ("parts",)

    def __init__(self, *parts: Inline):
        self.parts = list(parts)


class Equation(Block):
    """A displayed chain ``parts[0] rel parts[1] rel parts[2] ...``.

    ``rels`` defaults to '=' between every pair; a renderer writes '≈' instead of '=' before a part
    whose shown numbers are rounded. '←' is an assignment (an update).
    """

    __slots__ = ("parts", "rels", "label")

    def __init__(self, parts: list, rels: list | None = None, label: str | None = None):
        self.parts = parts
        self.rels = rels
        self.label = label

    def relations(self) -> list:
        """The relation before each part after the first."""
        if self.rels is not None:
            return list(self.rels)
        return ["="] * (len(self.parts) - 1)


class Table(Block):
    """A table: header strings and rows of cells (str, number or Expr); ``align`` per column,
    "left" or "right" (numbers default to right)."""

    __slots__ = ("header", "rows", "caption", "align")

    def __init__(self, header: list, rows: list, caption: str | None = None,
                 align: list | None = None):
        self.header = header
        self.rows = rows
        self.caption = caption
        self.align = align


class Grid(Block):
    """A matrix drawn as a grid of cells, some marked (a convolution window in its input)."""

    __slots__ = ("values", "marked", "caption")

    def __init__(self, values, marked: frozenset = frozenset(), caption: str | None = None):
        self.values = values          # 2-D array
        self.marked = marked
        self.caption = caption


class Network(Block):
    """A drawing of a fully connected network: units per layer, each with its value(s)."""

    __slots__ = ("layers", "caption")

    def __init__(self, layers: list, caption: str | None = None):
        self.layers = layers          # [(label, [unit values...]), ...] input first
        self.caption = caption


class CircuitNode:
    """One input or gate of a Circuit. ``inputs``: per argument, (source name or None for a
    constant, the constant or None, the gradient flowing back along that wire or None)."""

    __slots__ = ("name", "label", "gate", "value", "gradient", "inputs")

    def __init__(self, name: str, label, gate: str | None, value, gradient, inputs=()):
        self.name = name              # its key among the circuit's nodes
        self.label = label            # how it is named (an Expr)
        self.gate = gate              # the gate's symbol (+, ×, exp, σ, ...); None: an input
        self.value = value
        self.gradient = gradient      # ∂f/∂node
        self.inputs = list(inputs)

    def __repr__(self) -> str:
        return f"CircuitNode({self.name!r}, {self.gate!r})"


class Circuit(Block):
    """A computational graph drawn as wires between gates, each wire with the value it carries
    above it and the gradient that flows back along it below (CS231n's circuit diagrams)."""

    __slots__ = ("nodes", "output", "caption")

    def __init__(self, nodes: list, output: str, caption: str | None = None):
        self.nodes = nodes            # CircuitNode, inputs first, each gate after its inputs
        self.output = output          # the name of the output node
        self.caption = caption


class Note(Block):
    """A remark set apart from the working: a convention, a warning, a correction."""

    __slots__ = ("parts",)

    def __init__(self, *parts: Inline):
        self.parts = list(parts)


class Solution:
    """A worked solution: what a person reads (``blocks``) and the result as data (``data``)."""

    __slots__ = ("kind", "title", "blocks", "data")

    def __init__(self, kind: str, title: str | None, blocks: list, data):
        self.kind = kind
        self.title = title
        self.blocks = blocks
        self.data = data

    def to(self, format: str = "text", *, precision: int = 6, exact: bool = False,
           width: int = 100, fragment: bool = False, color: bool = False) -> str:
        """The solution rendered: "text", "markdown", "latex" (a document, or its body with
        ``fragment=True``) or "json", with the options of the command line."""
        from .render import FORMATS, RenderOptions, render
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; expected one of: "
                             + ", ".join(FORMATS))
        return render(self, format, RenderOptions(precision=precision, exact=exact, width=width,
                                                  color=color, fragment=fragment))

    # Jupyter shows the Markdown (its maths typeset by MathJax). There is no _repr_latex_: a
    # notebook hands text/latex to MathJax, which typesets maths but not the sections, tables and
    # TikZ of a whole solution, and nbconvert's PDF export would prefer it to the Markdown
    # without loading the packages it needs. .to("latex") gives the document.
    def _repr_markdown_(self) -> str:
        return self.to("markdown")

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.to("text"))

    def __str__(self) -> str:
        return self.to("text")

    def __repr__(self) -> str:
        return f"<Solution {self.kind}: {self.title}>" if self.title else \
            f"<Solution {self.kind}>"
