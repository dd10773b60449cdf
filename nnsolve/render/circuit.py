"""Laying out a Circuit (a computational graph): as a text drawing, left to right, each wire with
its value above and its gradient below; and as positions for a TikZ picture.

The text drawing is a tree read from the output back: a node that feeds several gates is drawn
once, where it is first used, and named elsewhere; a drawing wider than the page is cut into
pieces at a node, each piece ending in that node's wire (with its value and its whole
gradient) and the next starting from its name.
"""

from __future__ import annotations

from .unicode import display_width

GATE_GAP = 1


class _Box:
    __slots__ = ("lines", "axis", "width")

    def __init__(self, lines, axis):
        self.lines = list(lines)
        self.axis = axis
        self.width = max((display_width(l) for l in self.lines), default=0)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - display_width(s))


def _center(s: str, width: int) -> str:
    w = display_width(s)
    left = (width - w + 1) // 2
    return " " * left + s + " " * (width - w - left)


def _with_wire(box: _Box, value: str, gradient: str, length: int) -> _Box:
    """The box with a wire of ``length`` leaving its axis, the value above it, the gradient
    below (rows added above and below when the box has none)."""
    lines, axis = list(box.lines), box.axis
    if axis == 0:
        lines.insert(0, "")
        axis += 1
    if axis == len(lines) - 1:
        lines.append("")
    out = []
    for r, line in enumerate(lines):
        line = _pad(line, box.width)
        if r == axis:
            line += "─" * length
        elif r == axis - 1 and value:
            line += _center(value, length)
        elif r == axis + 1 and gradient:
            line += _center(gradient, length)
        out.append(line)
    return _Box(out, axis)


def _wire_length(value: str, gradient: str) -> int:
    return max(display_width(value), display_width(gradient)) + 2


class TextLayout:
    """The text drawing of a circuit; ``num`` formats a number, ``label`` a node's name."""

    def __init__(self, circuit, num, label):
        self.c = circuit
        self.nodes = {n.name: n for n in circuit.nodes}
        self.order = {n.name: i for i, n in enumerate(circuit.nodes)}
        self.num = num
        self.label = label

    def _draw(self, name: str, cuts: set, drawn: set, top: bool, full: list) -> _Box:
        node = self.nodes[name]
        if node.gate is None or (not top and (name in cuts or name in drawn)):
            return _Box([self.label(node) + " "], 0)
        drawn.add(name)
        full.append(name)
        kids = []
        for src, const, grad in node.inputs:
            if src is None:
                kids.append((_Box([self.num(const) + " "], 0), "", ""))
            else:
                box = self._draw(src, cuts, drawn, False, full)
                kids.append((box, self.num(self.nodes[src].value),
                             "" if grad is None else self.num(grad)))
        right = max(b.width + _wire_length(v, g) for b, v, g in kids)
        rows, axes = [], []
        for b, v, g in kids:
            wired = _with_wire(b, v, g, right - b.width)
            axes.append(len(rows) + wired.axis)
            rows.extend(_pad(l, right) for l in wired.lines)
        first, last = axes[0], axes[-1]
        gate_row = (first + last) // 2
        gate = f"─({node.gate})─ {self.label(node)} "
        out = []
        for r, line in enumerate(rows):
            if len(axes) == 1:
                ch = "─" if r == first else " "
            elif r == first:
                ch = "┐"
            elif r == last:
                ch = "┘"
            elif first < r < last:
                ch = "├" if r == gate_row else "│"
            else:
                ch = " "
            out.append(line + ch + (gate if r == gate_row else ""))
        return _Box(out, gate_row)

    def piece(self, name: str, cuts: set, full: list | None = None) -> _Box:
        """The drawing of the node ``name`` (the nodes in ``cuts`` as names), its wire last."""
        node = self.nodes[name]
        box = self._draw(name, cuts, set(), True, full if full is not None else [])
        v, g = self.num(node.value), self.num(node.gradient)
        return _with_wire(box, v, g, _wire_length(v, g))

    def pieces(self, max_width: int) -> list:
        """The drawing as pieces, each at most ``max_width`` wide where a cut makes it so.

        One pass from the inputs to the output: a gate whose drawing would be too wide cuts its
        widest input gate off into a piece of its own (drawn before it, named in it), until it
        fits. A node that feeds several gates is counted in full in each (the drawing shows it
        once), so a cut may come earlier than needed, never later."""
        cuts: set = set()
        width: dict = {}

        def kid(src, const, grad):
            if src is None:
                return display_width(self.num(const)) + 1, 2, None
            node = self.nodes[src]
            wire = _wire_length(self.num(node.value), "" if grad is None else self.num(grad))
            if node.gate is None or src in cuts:
                return display_width(self.label(node)) + 1, wire, None
            return width[src], wire, src

        for node in self.c.nodes:
            if node.gate is None:
                continue
            gate = display_width(f"─({node.gate})─ {self.label(node)} ") + 1
            out = _wire_length(self.num(node.value), self.num(node.gradient))
            while True:
                kids = [kid(*i) for i in node.inputs]
                w = max(k + wire for k, wire, _ in kids) + gate
                cuttable = [(k, src) for k, _wire, src in kids if src is not None]
                if w + out <= max_width or not cuttable:
                    break
                cuts.add(max(cuttable, key=lambda t: (t[0], self.order[t[1]]))[1])
            width[node.name] = w
        names = sorted(cuts, key=self.order.get) + [self.c.output]
        return [[l.rstrip() for l in self.piece(n, cuts).lines] for n in names]


def text_pieces(circuit, num, label, max_width: int) -> list:
    """The text drawing of a circuit as pieces (lists of lines)."""
    return TextLayout(circuit, num, label).pieces(max_width)


def positions(circuit) -> dict:
    """(column, row) of every node for a drawing: inputs in column 0, a gate one column right
    of its rightmost input; rows in the order the output's inputs are first reached, a gate
    between its inputs."""
    nodes = {n.name: n for n in circuit.nodes}
    col: dict = {}
    for n in circuit.nodes:       # inputs come before the gates that use them
        srcs = [s for s, _c, _g in n.inputs if s is not None]
        col[n.name] = 0 if n.gate is None else 1 + max((col[s] for s in srcs), default=0)
    row: dict = {}
    next_row = 0

    def place(root):
        # depth first, without recursion (a chain of gates is as deep as it is long)
        nonlocal next_row
        stack = [(root, False)]
        while stack:
            name, done = stack.pop()
            if name in row:
                continue
            node = nodes[name]
            srcs = [s for s, _c, _g in node.inputs if s is not None]
            if node.gate is None or not srcs:
                row[name] = next_row
                next_row += 1
            elif done:
                ys = [row[s] for s in srcs]
                row[name] = (min(ys) + max(ys)) / 2
            else:
                stack.append((name, True))
                stack.extend((s, False) for s in reversed(srcs) if s not in row)
    place(circuit.output)
    for n in circuit.nodes:         # what does not feed the output, below
        place(n.name)
    return {name: (col[name], row[name]) for name in nodes}
