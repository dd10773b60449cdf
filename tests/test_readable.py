"""Readable everywhere (issue 11.9): narrow terminals, wrapping, COLUMNS, names."""

import pytest

from nnsolve.expr import Rel, Sym
from nnsolve.numbers import parse_number
from nnsolve.render import RenderOptions, render
from nnsolve.solution import Note, Paragraph, Solution


def _num(text):
    from nnsolve.expr import Num
    return Num(parse_number(text))


@pytest.mark.parametrize("width", [60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 80, 100])
def test_notes_wrap_between_words_not_inside_a_formula(width):
    eta = Sym("eta")
    words = "the value you get with η applied ten times too large: "
    note = Note(words, Rel(eta, "=", _num("0.1")), " used where ", Rel(eta, "=", _num("0.01")),
                " and then η = 0.5 in text, (y − ŷ) too, and a last word.")
    para = Paragraph(words * 2, Rel(eta, "=", _num("0.25")), " ends it.")
    out = render(Solution(kind="x", title=None, blocks=[note, para], data={}), "text",
                 RenderOptions(width=width, color=False))
    lines = out.splitlines()
    assert all(len(l) <= width for l in lines), lines
    joined = " ".join(l.strip() for l in lines)
    for piece in ["η = 0.1", "η = 0.01", "η = 0.5", "(y − ŷ)", "η = 0.25"]:
        assert piece in joined, (piece, lines)
    for l in lines:       # a line never ends or starts at a relation or an operator
        assert not l.rstrip().endswith(("=", "−")), lines
        assert not l.lstrip().startswith(("=", "−")), lines
