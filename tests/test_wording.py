"""What a user's problem prints speaks of that problem (issue 11.7): no "seed sheet", no "the
seed's eq. 47–49" — the shortcut or the mistake is named itself."""

import glob
import os
import re

import pytest
from click.testing import CliRunner

from nnsolve.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED_WORDS = re.compile(r"seed['’]s|seed sheet|\beq(uation)?s?\.? ?\d", re.I)


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_no_seed_wording_in_golden_files():
    files = glob.glob(os.path.join(ROOT, "tests", "golden", "*"))
    assert files
    for name in files:
        with open(name, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                assert not SEED_WORDS.search(line), f"{os.path.basename(name)}:{n}: {line}"


@pytest.mark.parametrize("p", ["1", "2", "3", "2.5", "0.5"])
def test_no_seed_wording_in_regularize(p):
    for fmt in ("text", "markdown", "latex"):
        r = run("regularize", "--p", p, "--alpha", "0.1", "--weights", "1,-2,0,0.5",
                "--format", fmt)
        assert r.exit_code == 0, r.stderr
        assert not SEED_WORDS.search(r.stdout), SEED_WORDS.search(r.stdout).group(0)
    r = run("regularize", "--p", p, "--format", "text")        # the symbolic derivation alone
    assert r.exit_code == 0, r.stderr
    assert not SEED_WORDS.search(r.stdout)


def test_no_seed_wording_in_check_or_its_mistakes(tmp_path):
    from nnsolve.grading import MISTAKES
    from nnsolve.kinds import KINDS, mistakes_module
    for kind in KINDS:
        mistakes_module(kind)
    assert "pnorm_sign_lost" in MISTAKES and "eta_x10" in MISTAKES
    for m in MISTAKES.values():
        assert not SEED_WORDS.search(m.text + m.short), m
    for answers in glob.glob(os.path.join(ROOT, "problems", "answers", "*.yaml")):
        r = run("check", answers)
        assert not SEED_WORDS.search(r.stdout + r.stderr)


def test_the_shortcut_is_named():
    r = run("regularize", "--p", "3", "--alpha", "0.1", "--weights", "1,-2")
    assert r.exit_code == 0
    assert "A common shortcut writes Σᵢ wᵢᵖ without the absolute value" in r.stdout
    assert "(the derivative of α Σᵢ wᵢᵖ, the absolute value dropped)" in r.stdout
