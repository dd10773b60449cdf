"""Golden files: every problem in problems/ in every format, exactly as nnsolve writes it.

A change of output shows up here as a diff to review. Regenerate on purpose with
`python -m pytest tests/test_golden.py --update-golden`, then read `git diff tests/golden`.
"""

import glob
import os

import pytest

from nnsolve.load import load_problem
from nnsolve.render import RenderOptions, render
from nnsolve.solve import solve

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = sorted(glob.glob(os.path.join(os.path.dirname(HERE), "problems", "*.yaml")))
GOLDEN = os.path.join(HERE, "golden")
FORMATS = {"text": "txt", "json": "json", "markdown": "md", "latex": "tex"}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("path", PROBLEMS, ids=[os.path.basename(p) for p in PROBLEMS])
def test_golden(path, fmt, update_golden):
    solution = solve(load_problem(path))
    out = render(solution, fmt, RenderOptions(width=100, color=False))
    name = os.path.splitext(os.path.basename(path))[0] + "." + FORMATS[fmt]
    golden = os.path.join(GOLDEN, name)
    if update_golden:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(golden, "w", encoding="utf-8") as fh:
            fh.write(out)
        return
    assert os.path.exists(golden), f"no golden file {name}: run pytest --update-golden"
    with open(golden, encoding="utf-8") as fh:
        expected = fh.read()
    assert out == expected, f"{name} differs from its golden file"


def test_every_golden_file_has_its_problem():
    if not os.path.isdir(GOLDEN):
        pytest.skip("no golden files yet")
    names = {os.path.splitext(os.path.basename(p))[0] for p in PROBLEMS}
    stale = [f for f in os.listdir(GOLDEN) if os.path.splitext(f)[0] not in names]
    assert not stale, f"golden files without a problem: {stale}"
