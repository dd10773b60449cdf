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


# --- narrow terminals, COLUMNS -----------------------------------------------------------------

import os  # noqa: E402

from click.testing import CliRunner  # noqa: E402
from rich.cells import cell_len  # noqa: E402

from nnsolve.cli import cli  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = os.path.join(ROOT, "problems")


def run(args, columns=None):
    env = {"COLUMNS": str(columns)} if columns is not None else {}
    r = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    return r


def widths(out):
    return [cell_len(l) for l in out.splitlines()]


@pytest.mark.parametrize("columns", [60, 72, 130])
def test_columns_is_honoured_when_piped(columns):
    r = run(["solve", os.path.join(PROBLEMS, "xor-batch.yaml")], columns)
    assert r.exit_code == 0, r.stderr
    assert max(widths(r.stdout)) <= columns
    if columns > 100:     # lines that were cut at 100 are longer now
        assert max(widths(r.stdout)) > 100
    default = run(["solve", os.path.join(PROBLEMS, "xor-batch.yaml")])
    assert max(widths(default.stdout)) <= 100


def test_a_file_written_with_o_is_100_wide(tmp_path):
    out = tmp_path / "s.txt"
    r = run(["solve", os.path.join(PROBLEMS, "xor-batch.yaml"), "-o", out], 60)
    assert r.exit_code == 0
    assert max(widths(out.read_text())) > 60


def test_check_at_60_columns_keeps_field_names_whole():
    r = run(["check", os.path.join(PROBLEMS, "answers", "seed-answers-wrong.yaml"),
             os.path.join(PROBLEMS, "answers", "seed-answers-right.yaml")], 60)
    assert r.exit_code == 1
    assert max(widths(r.stdout)) <= 60
    assert "…" not in r.stdout
    words = r.stdout.split()
    for name in ["layers.2.dJ_dW", "layers.2.W_new", "layers.3.W_new", "layers.3.dJ_dW",
                 "layers.1.a"]:
        assert name in words or name + ";" in words or name + ":" in words, name
    assert "WRONG" in r.stdout and "factor 2 dropped" in " ".join(words)


@pytest.mark.parametrize("name", sorted(p for p in os.listdir(PROBLEMS) if p.endswith(".yaml")))
def test_every_example_fits_60_columns_and_wraps_between_terms(name):
    r = run(["solve", os.path.join(PROBLEMS, name)], 60)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(widths(r.stdout)) <= 60, [l for l in lines if cell_len(l) > 60][:3]
    for l in lines:
        # a wrapped line never ends inside a parenthesised negative number or at an operator
        assert not l.rstrip().endswith(("(", "(-", "+", "−", "·", "=")), l


def test_break_between_terms_prefers_the_outer_level():
    from nnsolve.render.text import break_between_terms
    line = "Z = (1 + 1 + (-1) + 2) + (1 + 1 + 2 + 2) + 1 + (-3) · 2"
    out = break_between_terms(line, 30, 4)
    assert out == ["Z = (1 + 1 + (-1) + 2)", "    + (1 + 1 + 2 + 2) + 1", "    + (-3) · 2"]
    assert break_between_terms("a = b", 3, 2) == ["a = b"]         # nothing to cut at


# --- --help examples --------------------------------------------------------------------------

def _commands():
    import click
    from nnsolve.cli import COMMANDS, cli as root
    ctx = click.Context(root)
    out = [[]]
    for name in COMMANDS:
        cmd = root.get_command(ctx, name)
        out.append([name])
        if isinstance(cmd, click.Group):
            out += [[name, sub] for sub in cmd.commands]
    return out


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "nnsolve")
def test_help_examples_are_whole_lines(command):
    r = run(command + ["--help"], 100)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    heads = [k for k, l in enumerate(lines) if l.strip() in ("Example:", "Examples:")]
    if not heads:
        return
    i = heads[0]
    block = []
    for l in lines[i + 1:]:
        if not l.strip():
            break
        block.append(l)
    assert block
    indent = len(block[0]) - len(block[0].lstrip())
    commands = []
    for l in block:       # every example is one command line (or continued after a `\`)
        if commands and commands[-1].endswith("\\"):
            commands[-1] = commands[-1][:-1] + l.strip()
            continue
        assert len(l) - len(l.lstrip()) == indent, block
        commands.append(l.strip())
    for c in commands:
        assert "nnsolve " in c, block
    assert len(block) == len(set(block)), block


def test_conv_help_shows_the_printf_example_on_one_line():
    r = run(["conv", "--help"], 100)
    assert "printf '1 2 3\\n4 5 6\\n1 5 3\\n' | nnsolve conv --input - --kernel problems/K.txt" \
        in r.stdout


# --- a count of one is singular ---------------------------------------------------------------

import re  # noqa: E402

PLURAL_ONE = re.compile(r"Each of the 1 |\b1 (filters|units|windows|channels|samples|weights|"
                        r"inputs|outputs|values|positions|layers|rows|columns|numbers|products)\b")


@pytest.mark.parametrize("args", [
    ["shape", "--input", "1x4x4", "--kernel", "2", "--compare-dense"],
    ["shape", "--input", "3x8x8", "--kernel", "3", "--filters", "1", "--pool", "max"],
    ["conv", "--input", os.path.join(PROBLEMS, "I.txt"), "--kernel",
     os.path.join(PROBLEMS, "K.txt")],
    ["regularize", "--p", "2", "--alpha", "0.1", "--weights", "3"],
])
def test_one_of_a_thing_is_singular(args):
    for fmt in ("text", "markdown", "latex"):
        r = run(args + ["--format", fmt])
        assert r.exit_code == 0, r.stderr
        assert not PLURAL_ONE.search(r.stdout), PLURAL_ONE.search(r.stdout).group(0)
    if args[0] == "shape":
        assert "The filter has a weight per input channel" in run(args).stdout


def test_a_transpose_in_text_is_on_the_whole_symbol_in_latex():
    from nnsolve.render.latex_math import latex_text
    out = latex_text("∂J/∂h⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ δ⁽ˡ⁾, then δ⁽ˡ⁾ h⁽ˡ⁻¹⁾ᵀ and xᵀ")
    assert r"\ensuremath{{W^{(l)}}^{T}}" in out
    assert r"\ensuremath{{h^{(l-1)}}^{T}}" in out
    assert r"x\ensuremath{^{T}}" in out
    assert r"\ensuremath{\delta}\ensuremath{^{(l)}}" in out     # a layer mark alone is unchanged
    assert "(l)T" not in out


def test_a_transpose_in_text_compiles(tmp_path):
    import shutil
    import subprocess
    from nnsolve.render.latex_math import latex_text
    if not shutil.which("pdflatex"):
        pytest.skip("no pdflatex")
    (tmp_path / "t.tex").write_text("\\documentclass{article}\\usepackage{amsmath}"
                                    "\\begin{document}" + latex_text("W⁽ˡ⁾ᵀ δ⁽²⁾ᵀ h⁽ˡ⁻¹⁾ᵀ xᵀ")
                                    + "\\end{document}\n")
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                       cwd=tmp_path, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stdout[-500:]
