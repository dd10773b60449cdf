"""The one model of a worked solution: a tree of blocks that every renderer prints.

A solver returns a ``Solution``; it never prints and never formats a number. ``blocks`` is what a
person reads (sections, paragraphs, equations, tables, grids); ``data`` is the machine-readable
result, the JSON contract of its kind, holding raw numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Solution", "Section", "Paragraph", "Equation", "Table", "Grid", "Network", "Note",
           "Block", "Inline"]

Inline = Any    # a piece of running text: a str, or an Expr shown as inline maths


class Block:
    """A block of a solution."""


@dataclass(eq=False)
class Section(Block):
    """A titled part of a solution; sections nest."""

    title: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks: Block) -> "Section":
        """Append blocks, and return the section for chaining."""
        self.blocks.extend(b for b in blocks if b is not None)
        return self


@dataclass(eq=False)
class Paragraph(Block):
    """Running text: strings and inline formulas."""

    parts: list

    def __init__(self, *parts: Inline):
        self.parts = list(parts)


@dataclass(eq=False)
class Equation(Block):
    """A displayed chain ``parts[0] rel parts[1] rel parts[2] ...``.

    ``rels`` defaults to '=' between every pair; a renderer writes '≈' instead of '=' before a part
    whose shown numbers are rounded. '←' is an assignment (an update).
    """

    parts: list
    rels: list | None = None
    label: str | None = None

    def relations(self) -> list:
        """The relation before each part after the first."""
        if self.rels is not None:
            return list(self.rels)
        return ["="] * (len(self.parts) - 1)


@dataclass(eq=False)
class Table(Block):
    """A table: header strings and rows of cells (str, number or Expr)."""

    header: list
    rows: list
    caption: str | None = None
    align: list | None = None   # per column: "left" or "right"; numbers default to right


@dataclass(eq=False)
class Grid(Block):
    """A matrix drawn as a grid of cells, some marked (a convolution window in its input)."""

    values: Any                   # 2-D array
    marked: frozenset = frozenset()
    caption: str | None = None


@dataclass(eq=False)
class Network(Block):
    """A drawing of a fully connected network: units per layer, each with its value(s)."""

    layers: list                 # [(label, [unit texts/values...]), ...] input first
    caption: str | None = None


@dataclass(eq=False)
class Note(Block):
    """A remark set apart from the working: a convention, a warning, a correction."""

    parts: list

    def __init__(self, *parts: Inline):
        self.parts = list(parts)


@dataclass(eq=False)
class Solution:
    """A worked solution: what a person reads (``blocks``) and the result as data (``data``)."""

    kind: str
    title: str | None
    blocks: list
    data: dict
