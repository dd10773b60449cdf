"""The LaTeX of every problem in problems/, and of a sheet of them all, compiles with pdflatex."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnsolve.load import load_problem
from nnsolve.render import RenderOptions, render
from nnsolve.solve import solve

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parent))


def compile_latex(source: str, directory: Path, name: str = "doc") -> str:
    """Run pdflatex on the source; fail with the first error lines of the log."""
    tex = directory / f"{name}.tex"
    tex.write_text(source, encoding="utf-8")
    proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", tex.name], cwd=directory, capture_output=True,
                          text=True, errors="replace", timeout=300)
    log = (directory / f"{name}.log").read_text(errors="replace") \
        if (directory / f"{name}.log").exists() else proc.stdout
    errors = [l for l in log.splitlines() if l.startswith("!")]
    assert proc.returncode == 0 and not errors, "\n".join(
        errors[:5] + log.splitlines()[-30:])
    assert (directory / f"{name}.pdf").stat().st_size > 0
    return log


def overfull(log: str) -> list[str]:
    """The lines of a pdflatex log that report a box wider than the page (by more than 1 pt)."""
    return [l for l in log.splitlines()
            if (m := re.match(r"Overfull \\hbox \(([\d.]+)pt too wide\)", l)) and float(m[1]) > 1]


def _is_sheet(path: Path) -> bool:
    return re.search(r"^kind:\s*sheet\b", path.read_text(encoding="utf-8"), re.M) is not None


@needs_pdflatex
@pytest.mark.parametrize("path", PROBLEMS, ids=[p.name for p in PROBLEMS])
@pytest.mark.parametrize("exact", [False, True], ids=["decimal", "exact"])
def test_every_problem_compiles(path, exact, tmp_path):
    solution = solve(load_problem(str(path)))
    log = compile_latex(render(solution, "latex", RenderOptions(exact=exact)), tmp_path)
    # nothing runs off the page: a long sum is broken between its terms, a wide table's column
    # of words wraps
    assert not overfull(log), overfull(log)


@needs_pdflatex
def test_a_sheet_of_every_problem_compiles(tmp_path):
    singles = [p for p in PROBLEMS if not _is_sheet(p)]
    if not singles:
        pytest.skip("no problems in problems/")
    lines = ["kind: sheet", 'title: "Every problem: 100% & $_#{}"', "problems:"]
    lines += [f"  - file: '{p}'" for p in singles]
    sheet = tmp_path / "all.yaml"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    solution = solve(load_problem(str(sheet)))
    assert solution.kind == "sheet" and len(solution.data) == len(singles)
    compile_latex(render(solution, "latex"), tmp_path, "sheet")


@needs_pdflatex
def test_a_fragment_compiles_inside_a_document_with_the_packages_it_names(tmp_path):
    from test_render_markdown_latex import every_block_solution
    frag = render(every_block_solution(), "latex", RenderOptions(fragment=True))
    packages = [l[4:] for l in frag.splitlines() if l.startswith("%   \\usepackage")]
    assert packages
    doc = "\\documentclass{article}\n" + "\n".join(packages) + \
        "\n\\begin{document}\n\\section{Existing sheet}\n" + frag + "\\end{document}\n"
    compile_latex(doc, tmp_path, "frag")


@needs_pdflatex
@pytest.mark.parametrize("exact", [False, True])
def test_every_block_and_formula_compiles(exact, tmp_path):
    from test_render_markdown_latex import every_block_solution
    compile_latex(render(every_block_solution(), "latex", RenderOptions(exact=exact)), tmp_path)


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.name for p in PROBLEMS])
def test_every_problem_renders_as_markdown(path):
    md = render(solve(load_problem(str(path))), "markdown")
    for m in re.findall(r"\$\$\n(.*?)\n\$\$", md, re.S):
        assert not re.search(r"\\[!-/:-@\[-`{-~]", m), m     # no escape GitHub would eat
        assert "<" not in m and ">" not in m, m
