"""Expressions of a computational graph, parsed by a small parser of its own (never evaluated as
Python): numbers, names, ``+ - * / **`` (``^`` too), unary minus, parentheses and calls of the
functions of ``nnsolve/ops/scalar.py``. Every token knows its column, so a mistake is reported
where it is.

    parse("(x + y) * z")  →  Apply("mul", [Apply("add", [Name x, Name y]), Name z])

A minus sign before a number is part of the number (``x * -1`` multiplies by the constant −1),
and an operation on constants only is computed at once (``x * (1/3)`` has one node): a graph's
nodes are the operations on its inputs.
"""

from __future__ import annotations

import re

from ...numbers import parse_number
from ...ops.scalar import BINARY, FUNCTIONS, OPS, UNARY, DomainError

__all__ = ["ExpressionError", "Name", "Const", "Apply", "parse", "names_in"]

MAX_LENGTH = 2000         # characters of one expression
MAX_DEPTH = 100           # nested parentheses and operators


class ExpressionError(Exception):
    """A mistake in an expression, at a 1-based column."""

    def __init__(self, message: str, col: int):
        super().__init__(message)
        self.message = message
        self.col = col


class Name:
    """A name: an input or an earlier node."""

    __slots__ = ("id", "col")

    def __init__(self, id: str, col: int):
        self.id, self.col = id, col

    def __repr__(self) -> str:
        return f"Name({self.id!r})"


class Const:
    """A number written in the expression (exact)."""

    __slots__ = ("value", "col")

    def __init__(self, value, col: int):
        self.value, self.col = value, col

    def __repr__(self) -> str:
        return f"Const({self.value})"


class Apply:
    """An operation (a key of OPS) on its arguments; ``col`` is the operator's or function's."""

    __slots__ = ("op", "args", "col")

    def __init__(self, op: str, args: list, col: int):
        self.op, self.args, self.col = op, args, col

    def __repr__(self) -> str:
        return f"Apply({self.op!r}, {self.args!r})"


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),]|[−·×÷])
""", re.VERBOSE)
_ALIASES = {"−": "-", "·": "*", "×": "*", "÷": "/", "^": "**"}


def _tokens(text: str) -> list:
    """(kind, text, col) for each token, ending with ("end", "", col)."""
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = ""
            if ch == "=":
                hint = " (a node is `name: expression`, without =)"
            elif ch in "[]{}":
                hint = " (group with parentheses)"
            raise ExpressionError(f"unexpected character {ch!r}{hint}", pos + 1)
        kind = m.lastgroup
        if kind != "space":
            tok = m.group()
            if kind == "name" and pos > 0 and out and out[-1][0] == "number" and \
                    out[-1][2] + len(out[-1][1]) == pos + 1:
                raise ExpressionError(f"a number followed by the name {tok!r}: write the "
                                      f"product with * ({out[-1][1]} * {tok})", pos + 1)
            out.append((kind, _ALIASES.get(tok, tok), pos + 1))
        pos = m.end()
    out.append(("end", "", len(text) + 1))
    return out


def _describe(tok) -> str:
    kind, text, _ = tok
    if kind == "end":
        return "the end of the expression"
    if kind == "number":
        return f"the number {text}"
    if kind == "name":
        return f"the name {text}"
    return f"`{text}`"


class _Parser:
    """Precedence climbing: sum > product > unary minus > power > atom (as Python's)."""

    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str, what: str):
        t = self.peek()
        if t[1] != text or t[0] == "number":
            raise ExpressionError(f"expected {what}, got {_describe(t)}", t[2])
        return self.next()

    def _deeper(self, col):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested deeper than {MAX_DEPTH} levels", col)

    def expression(self):
        self._deeper(self.peek()[2])
        left = self.product()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            _, op, col = self.next()
            left = _apply(BINARY[op], [left, self.product()], col)
        self.depth -= 1
        return left

    def product(self):
        left = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            _, op, col = self.next()
            left = _apply(BINARY[op], [left, self.unary()], col)
        return left

    def unary(self):
        t = self.peek()
        if t[0] == "op" and t[1] in ("-", "+"):
            self.next()
            self._deeper(t[2])
            arg = self.unary()
            self.depth -= 1
            if t[1] == "+":
                return arg
            return _apply(UNARY["-"], [arg], t[2])
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[0] == "op" and self.peek()[1] == "**":
            _, _, col = self.next()
            self._deeper(col)
            exponent = self.unary()          # right-associative, and 2 ** -1 is allowed
            self.depth -= 1
            return _apply("pow", [base, exponent], col)
        return base

    def atom(self):
        kind, text, col = t = self.next()
        if kind == "number":
            try:
                return Const(parse_number(text), col)
            except ValueError as e:
                raise ExpressionError(str(e), col) from None
        if kind == "name":
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                return self.call(text, col)
            if text in FUNCTIONS:
                raise ExpressionError(f"{text} is a function: write {text}(...)", col)
            return Name(text, col)
        if kind == "op" and text == "(":
            inner = self.expression()
            self.expect(")", f"`)` to close the `(` at column {col}")
            return inner
        if kind == "end":
            raise ExpressionError("the expression ends where a number, a name or `(` was "
                                  "expected", col)
        raise ExpressionError(f"expected a number, a name or `(`, got {_describe(t)}", col)

    def call(self, name: str, col: int):
        if name not in FUNCTIONS:
            import difflib
            near = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.75)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise ExpressionError(f"unknown function {name}; expected one of: "
                                  f"{', '.join(FUNCTIONS)}{hint}", col)
        open_col = self.next()[2]
        args = []
        if not (self.peek()[0] == "op" and self.peek()[1] == ")"):
            args.append(self.expression())
            while self.peek()[0] == "op" and self.peek()[1] == ",":
                self.next()
                args.append(self.expression())
        t = self.peek()
        if not (t[0] == "op" and t[1] == ")"):
            raise ExpressionError(f"expected `,` or `)` to close the `(` at column {open_col}, "
                                  f"got {_describe(t)}", t[2])
        self.next()
        n = FUNCTIONS[name]
        if len(args) != n:
            raise ExpressionError(f"{name} takes {n} argument{'s' * (n != 1)}, got "
                                  f"{len(args)}", col)
        return _apply(name, args, col)


def _apply(op: str, args: list, col: int):
    """An operation; on constants only, its value at once (a negative number is a constant)."""
    if all(isinstance(a, Const) for a in args):
        try:
            value = OPS[op].forward(tuple(a.value for a in args))
        except DomainError as e:
            at = args[e.arg].col if e.arg is not None else col
            raise ExpressionError(e.message, at) from None
        except OverflowError:
            raise ExpressionError("the result is too large for a floating-point number",
                                  col) from None
        return Const(value, args[0].col if op == "neg" else col)
    return Apply(op, args, col)


def parse(text: str):
    """The tree of an expression (a Name, a Const or an Apply); ExpressionError on a mistake."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH:,} characters", MAX_LENGTH + 1)
    if not text.strip():
        raise ExpressionError("the expression is empty", 1)
    p = _Parser(text)
    tree = p.expression()
    t = p.peek()
    if t[0] != "end":
        if t[1] == ")":
            raise ExpressionError("`)` without a matching `(`", t[2])
        raise ExpressionError(f"expected an operator or the end of the expression, got "
                              f"{_describe(t)}", t[2])
    return tree


def names_in(tree) -> list:
    """The Name nodes of a tree, left to right."""
    if isinstance(tree, Name):
        return [tree]
    if isinstance(tree, Apply):
        return [n for a in tree.args for n in names_in(a)]
    return []
