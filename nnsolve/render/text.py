"""The terminal: sections as headings, formulas in Unicode, tables and grids with rich."""

from __future__ import annotations

import io
import re

from ..expr import Expr
from ..solution import (Circuit, Equation, Grid, Network, Note, Paragraph, Section, Solution,
                        Table)
from .base import Printer, RenderOptions
from .unicode import Box, UnicodePrinter, hcat


_KEEP = "\ue000"     # a space inside a formula while a paragraph is wrapped (not a break)


_OPERATOR_SPACE = re.compile(r" (?=[=−+·×<>≤≥←→≈] )|(?<= [=−+·×<>≤≥←→≈]) ")
_AFTER_OPERATOR = re.compile(r"(?<= [=−+·×<>≤≥←→≈]) ")


_TERM_BREAK = re.compile(r" (?=[+−] )")     # before a binary + or − (never inside "(-1)")
_FACTOR_BREAK = re.compile(r" (?=[+−·] )")  # or, in a long product, before a ·


def break_between_terms(line: str, width: int, indent: int) -> list[str]:
    """A one-line formula wider than ``width`` cut before its + and − signs: at the outermost
    parentheses' level first (then before a · of a product at that level), going inside a
    parenthesis only when a term alone is too wide. Continuation lines are indented by
    ``indent``; a line that cannot be cut stays whole."""
    from rich.cells import cell_len
    depth, depths = 0, {}
    for i, ch in enumerate(line):
        if ch in "([{⌊⌈":
            depth += 1
        elif ch in ")]}⌋⌉":
            depth -= 1
        depths[i] = depth
    lead = len(line) - len(line.lstrip(" "))
    breaks = {pat: [m.start() for m in pat.finditer(line) if m.start() > lead]
              for pat in (_TERM_BREAK, _FACTOR_BREAK)}
    levels = sorted({depths[b] for b in breaks[_FACTOR_BREAK]})
    best = [line]
    for level in levels:
        for pat in (_TERM_BREAK, _FACTOR_BREAK):
            cuts = [b for b in breaks[pat] if depths[b] <= level]
            if not cuts:
                continue
            pieces, start = [], 0
            for b in cuts + [len(line)]:
                pieces.append(line[start:b])
                start = b + 1
            out, current = [], pieces[0]
            for piece in pieces[1:]:
                if cell_len(current) + 1 + cell_len(piece) <= width:
                    current += " " + piece
                else:
                    out.append(current)
                    current = " " * indent + piece
            out.append(current)
            best = out
            if all(cell_len(l) <= width for l in out):
                return out
    return best


class TextRenderer(Printer):
    """Solution → rich renderables, printed to a string."""

    def __init__(self, options: RenderOptions | None = None):
        super().__init__(options)
        self.math = UnicodePrinter(self.options)

    def render(self, solution: Solution) -> str:
        from rich.console import Console
        out = io.StringIO()
        o = self.options
        self.console = Console(file=out, width=o.width, force_terminal=o.color,
                               color_system="standard" if o.color else None,
                               no_color=not o.color, highlight=False, emoji=False,
                               soft_wrap=False, force_jupyter=False)   # into `out`, also in a
        # notebook's kernel (where rich would otherwise display the text itself)
        self._plain = None if o.color else out     # uncoloured lines that fit skip rich
        if solution.title:
            self._heading(solution.title, 0)
        for block in solution.blocks:
            self.print(block, 1)
        return out.getvalue()

    # --- blocks ---------------------------------------------------------------------------
    def _heading(self, title: str, depth: int):
        from rich.cells import cell_len
        from rich.text import Text
        c = self.console
        if depth == 0:
            c.print(Text(title, style="bold underline"))
            c.print()
        elif depth == 1 and cell_len(title) + 4 > c.width:     # a rule would cut the title
            c.print(Text(title, style="bold cyan"), overflow="fold")
            c.rule(style="cyan")
        elif depth == 1:
            c.rule(Text(title, style="bold cyan"), align="left", style="cyan")
        else:
            c.print(Text(title, style="bold"))

    def _print_Section(self, s: Section, depth: int):
        self._heading(s.title, depth)
        for b in s.blocks:
            self.print(b, depth + 1)
        if depth <= 2:
            self.console.print()

    def _inline(self, parts) -> str:
        return "".join(p if isinstance(p, str) else self.math.line(p) for p in parts)

    def _fast(self, line: str) -> bool:
        """Write an uncoloured line that rich would print unchanged (it fits, no control
        characters) straight to the output; False when rich must lay it out."""
        if self._plain is None or not line.isprintable():
            return False
        from rich.cells import cell_len
        if cell_len(line) > self.console.width or line != line.rstrip():
            return False
        self._plain.write(line + "\n")
        return True

    def _print_Paragraph(self, p: Paragraph, depth: int):
        text = self._inline(p.parts)
        if not self._fast(text):
            self._print_wrapped(None, p.parts, "")

    def _print_Note(self, n: Note, depth: int):
        from rich.text import Text
        self._print_wrapped(Text("Note: ", style="bold yellow"), n.parts, "italic")

    def _print_wrapped(self, head, parts, style: str):
        """Text and formulas wrapped at the spaces of the text: a formula (`η = 0.01`) is kept
        on one line unless it is wider than a line by itself."""
        from rich.cells import cell_len
        from rich.text import Text
        width = self.console.width
        pieces = []
        for p in parts:
            if isinstance(p, str):      # nor at an operator written in the text (`η = 0.1`)
                pieces.append(_OPERATOR_SPACE.sub(_KEEP, p))
            else:
                m = self.math.line(p)     # a long one is cut before an operator, never after
                pieces.append(m.replace(" ", _KEEP) if cell_len(m) <= width // 2
                              else _AFTER_OPERATOR.sub(_KEEP, m))
        text = Text("")
        if head is not None:
            text.append_text(head)
        text.append("".join(pieces), style=style)
        for line in text.wrap(self.console, width):
            fixed = Text(line.plain.replace(_KEEP, " "), style=line.style, end="")
            fixed.spans = list(line.spans)
            self.console.print(fixed, overflow="ignore", crop=False, no_wrap=True)

    def equation_lines(self, eq: Equation, width: int) -> list[str]:
        """The equation as lines, wrapped at a relation when it is wider than the terminal."""
        m = self.math
        parts = [m.box(p) for p in eq.parts]
        rels = self.relations(eq)
        if not rels:
            return str(parts[0]).split("\n")
        head = parts[0]
        segments = [hcat(f" {r} ", p) for r, p in zip(rels, parts[1:])]
        rows: list[Box] = []
        current = head
        indent = min(head.width, 24)
        for seg in segments:
            if current.width + seg.width <= width or current is head:
                current = hcat(current, seg)
            else:
                rows.append(current)
                current = hcat(" " * indent, seg)
        rows.append(current)
        lines = []
        for r in rows:
            text = str(r).split("\n")
            if len(text) == 1 and r.width > width:     # one long sum: wrapped between terms
                lines.extend(break_between_terms(text[0], width, indent + 2))
            else:
                lines.extend(text)
        return lines

    def _print_Equation(self, eq: Equation, depth: int):
        from rich.text import Text
        lines = self.equation_lines(eq, self.options.width - 2)
        label = f"   ({eq.label})" if eq.label else ""
        for i, line in enumerate(lines):
            if self._fast("  " + line + (label if i == 0 else "")):
                continue
            t = Text("  " + line)
            if label and i == 0:
                t.append(label, style="dim")
            self.console.print(t, overflow="ignore", crop=False)

    def _cell(self, cell) -> str:
        if isinstance(cell, str):
            return cell
        if isinstance(cell, Expr):
            return self.math.line(cell)
        if cell is None:
            return ""
        return self.fmt(cell).text

    def _print_Table(self, t: Table, depth: int):
        from rich import box
        from rich.cells import cell_len
        from rich.table import Table as RichTable
        cells = [[self._cell(c) for c in row] for row in t.rows]
        aligns = [(t.align[j] if t.align and j < len(t.align) else None) or
                  ("left" if j == 0 else "right") for j in range(len(t.header))]
        widths = [max([cell_len(h)] + [cell_len(r[j]) for r in cells if j < len(r)])
                  for j, h in enumerate(t.header)]
        gap = 3
        rest = sum(widths[1:]) + gap * (len(widths) - 1)     # the columns after the first
        # stacked when the first column would keep less than half its width beside the others
        if len(t.header) >= 3 and self.console.width - rest < widths[0] / 2 \
                and rest + 1 <= self.console.width:
            self._stacked_table(t, cells, widths, aligns)
            return
        rt = RichTable(box=box.SIMPLE_HEAD, title=t.caption, title_justify="left",
                       show_edge=False, pad_edge=False)
        third = self.console.width // 3
        rows = [[c.replace(" ", _KEEP) if isinstance(orig, Expr) and cell_len(c) <= third
                 else c                                  # a formula stays on one line
                 for c, orig in zip(row, t.rows[i])] for i, row in enumerate(cells)]
        for j, h in enumerate(t.header):
            # a narrow terminal wraps cells at their spaces, never inside a word (a field
            # name such as layers.1.dJ_dW is not cut to layers.1.d…)
            longest = max([cell_len(w) for w in h.split()] +
                          [cell_len(w) for r in rows if j < len(r) for w in r[j].split()],
                          default=1)
            # (words of the left-aligned columns: names; numbers and matrices may fold)
            rt.add_column(h, justify=aligns[j], overflow="fold",
                          min_width=min(longest, self.console.width // 3)
                          if aligns[j] == "left" else None)
        for row in rows:
            rt.add_row(*row)
        if not self._fits(rt, [t.header] + rows):
            self._print_records(t, rows)    # too narrow for the columns: one record per row
            return
        self.console.file.write(self._rendered(rt, plain=False).replace(_KEEP, " "))

    def _fits(self, rt, rows) -> bool:
        """True when the table, laid out at this width, shows every word of every cell whole."""
        shown = set(self._rendered(rt, plain=True).split())
        return all(w in shown for row in rows for c in row for w in str(c).split())

    def _rendered(self, renderable, plain: bool) -> str:
        """A renderable laid out at this width, as text (plain, or with this output's colours);
        never shown by a notebook's display machinery."""
        from rich.console import Console
        o = self.options
        color = o.color and not plain
        c = Console(file=io.StringIO(), width=self.console.width, force_terminal=color,
                    color_system="standard" if color else None, no_color=not color,
                    highlight=False, emoji=False, soft_wrap=False, force_jupyter=False)
        c.print(renderable)
        return c.file.getvalue()

    def _print_records(self, t: Table, rows):
        """A table as one paragraph per row (`label — header: value; ...`), wrapped at spaces."""
        from rich.cells import cell_len
        from rich.text import Text
        if t.caption:
            self.console.print(Text(t.caption))
        width = self.console.width
        for row in rows:
            pairs = [f"{h}: " + (c.replace(" ", _KEEP) if cell_len(c) <= width // 2 else c)
                     for h, c in zip(t.header[1:], row[1:]) if c.strip()]
            self._print_wrapped(Text(row[0] + " — ", style="bold") if row else None,
                                ["; ".join(pairs)], "")

    def _stacked_table(self, t: Table, cells, widths, aligns):
        """A table too wide for the terminal whose first column is words (a layer's name): each
        row is that name on a line, and the other columns below it, indented, so that no cell
        is broken across lines."""
        from rich.cells import cell_len, set_cell_size
        from rich.text import Text
        indent = 4

        def line(row) -> str:
            parts = []
            for j in range(1, len(widths)):
                c = row[j] if j < len(row) else ""
                pad = widths[j] - cell_len(c)
                parts.append(" " * pad + c if aligns[j] == "right" else c + " " * pad)
            return (" " * indent + "   ".join(parts)).rstrip()

        out = [t.header[0], line(t.header), "─" * min(self.console.width,
                                                      cell_len(line(t.header)))]
        if t.caption:
            out.insert(0, t.caption)
        for row in cells:
            out.append(row[0] if row else "")
            values = line(row)
            if values.strip():
                out.append(values)
        for text in out:
            for piece in Text(text).wrap(self.console, self.console.width):
                self.console.print(set_cell_size(piece.plain, cell_len(piece.plain)),
                                   overflow="ignore", crop=False, no_wrap=True)

    def _print_Grid(self, g: Grid, depth: int):
        from rich.text import Text
        import numpy as np
        v = np.asarray(g.values)
        cells = [[self.fmt(x).text for x in row] for row in v]
        w = max(len(c) for row in cells for c in row)
        color = self.options.color
        if g.caption:
            self.console.print(Text(g.caption))
        for i, row in enumerate(cells):
            t = Text("  ")
            for j, c in enumerate(row):
                marked = (i, j) in g.marked
                if color:
                    t.append(f" {c.rjust(w)} ", style="bold black on yellow" if marked else "")
                else:
                    t.append(f"[{c.rjust(w)}]" if marked else f" {c.rjust(w)} ")
            self.console.print(t, overflow="ignore", crop=False)

    def _unit(self, u) -> str:
        """A unit's value, or its values for each sample in brackets."""
        if isinstance(u, (list, tuple)):
            return "[" + ", ".join(self._cell(x) for x in u) + "]"
        return self._cell(u)

    def _print_Network(self, n: Network, depth: int):
        from rich.text import Text
        pieces = []
        for label, units in n.layers:   # a unit's values stay on one line
            pieces.append(f"{self._inline([label])}{_KEEP}("
                          + ", ".join(self._unit(u).replace(" ", _KEEP) for u in units) + ")")
        self._print_wrapped(Text("  "), ["  →  ".join(pieces)], "")

    def _print_Circuit(self, c: Circuit, depth: int):
        from rich.text import Text
        from .circuit import text_pieces
        pieces = text_pieces(c, circuit_number(self), self.math.line_of_label,
                             self.options.width - 2)
        if c.caption:
            self.console.print(Text(c.caption))
        for i, lines in enumerate(pieces):
            if i:
                self.console.print()
            for line in lines:
                if not self._fast("  " + line if line else ""):
                    self.console.print(Text("  " + line), overflow="ignore", crop=False)


def circuit_number(printer):
    """How a drawing writes a number: to at most 4 significant digits (the table has them all)."""
    from ..numbers import format_number
    o = printer.options
    return lambda x: format_number(x, min(o.precision, 4), o.exact).text


def render_text(solution: Solution, options: RenderOptions) -> str:
    """The terminal rendering of a solution."""
    return TextRenderer(options).render(solution)

