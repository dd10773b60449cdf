"""Every mistake a user can make gets one `Error:` line naming where and what (issue 6).

The corpus lives in tests/bad/: each YAML file there starts with `# expect: Error: ...` (the exact
line on stderr; `{here}` stands for the folder) and, when it is not for `nnsolve solve`, a
`# command: NAME` line. tests/bad/expected.txt holds command lines with a mistake in an option or
a matrix file, each followed by its exit code and exact error line. Everything runs in tests/bad/
so the paths in the messages are short.
"""

import os
import re
import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nnsolve import __version__
from nnsolve.cli import cli

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(HERE, "bad")
ROOT = os.path.dirname(HERE)


def _yaml_cases():
    cases = []
    for name in sorted(os.listdir(BAD)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(BAD, name), encoding="utf-8") as fh:
            text = fh.read()
        expect = re.search(r"^# expect: (.*)$", text, re.M)
        assert expect, f"{name} has no `# expect:` line"
        command = re.search(r"^# command: (\w+)$", text, re.M)
        cases.append(pytest.param(command.group(1) if command else "solve", name,
                                  expect.group(1), id=name))
    return cases


def _command_cases():
    cases = []
    with open(os.path.join(BAD, "expected.txt"), encoding="utf-8") as fh:
        lines = [l.rstrip("\n") for l in fh if l.strip() and not l.startswith("#")]
    for args, result in zip(lines[::2], lines[1::2]):
        assert args.startswith("$ "), args
        code, line = result.split(" ", 1)
        cases.append(pytest.param(shlex.split(args[2:]), int(code), line, id=args[2:]))
    return cases


YAML_CASES = _yaml_cases()
COMMAND_CASES = _command_cases()


@pytest.fixture
def in_bad(monkeypatch):
    monkeypatch.chdir(BAD)


def _has_libyaml():
    import yaml
    return getattr(yaml, "CSafeLoader", None) is not None


# Every YAML mistake is reported with file:line:col by whichever loader PyYAML brings: libyaml's
# CSafeLoader (when the wheel has it) and the pure-Python SafeLoader (NNSOLVE_YAML_LOADER=pure).
LOADERS = [pytest.param("libyaml", id="libyaml",
                        marks=pytest.mark.skipif(not _has_libyaml(), reason="no libyaml")),
           pytest.param("pure", id="pure")]


@pytest.fixture(params=LOADERS)
def loader(request, monkeypatch):
    from nnsolve.load.yamldoc import LOADER_ENV
    if request.param == "pure":
        monkeypatch.setenv(LOADER_ENV, "pure")
    else:
        monkeypatch.delenv(LOADER_ENV, raising=False)
    return request.param


def run(args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def error_line(r, code=1):
    """The one `Error:` line of a failed run (usage errors also print click's usage lines)."""
    assert r.exit_code == code, (r.exit_code, r.stderr, r.stdout[:300])
    assert r.stdout == ""
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    if code == 1:
        assert len(lines) == 1, r.stderr
    errors = [l for l in lines if l.startswith("Error:")]
    assert len(errors) == 1, r.stderr
    return errors[0]


def test_corpus_is_large():
    assert len(YAML_CASES) + len(COMMAND_CASES) >= 40
    assert len(YAML_CASES) >= 40


@pytest.mark.parametrize("command, name, expected", YAML_CASES)
def test_bad_problem_file(in_bad, loader, command, name, expected):
    r = run([command, name])
    assert error_line(r) == expected.replace("{here}", BAD)


@pytest.mark.parametrize("args, code, expected", COMMAND_CASES)
def test_bad_command_line(in_bad, args, code, expected):
    r = run(args)
    assert error_line(r, code) == expected.replace("{here}", BAD)


def test_message_names_file_line_column_and_field(in_bad):
    """The SPEC's own example, word for word."""
    r = run(["backprop", "bp-columns-mismatch.yaml"])
    assert error_line(r) == ("Error: bp-columns-mismatch.yaml:9:14: layers[1].weights: "
                             "expected 2 columns (layer 1 has 2 units), got 3")


def test_standard_input_is_named(tmp_path):
    r = run(["solve", "-"], input="kind: shape\ninput: [1, 4, 4]\nlayers:\n  - flaten\n")
    assert error_line(r).startswith("Error: <stdin>:4:5: layers[0]: unknown layer `flaten`")


# --- safety -----------------------------------------------------------------------------------

def test_python_tag_is_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(
        'kind: !!python/object/apply:os.mkdir ["pwned"]\ninput: [1]\n')
    line = error_line(run(["solve", "p.yaml"]))
    assert line == ("Error: p.yaml:1:7: the tag !!python/object/apply:os.mkdir is not allowed; "
                    "problems are plain data")
    assert not (tmp_path / "pwned").exists()


def test_loader_can_be_forced(monkeypatch):
    import yaml
    from nnsolve.load.yamldoc import LOADER_ENV, yaml_loaders
    monkeypatch.setenv(LOADER_ENV, "pure")
    assert yaml_loaders() == [yaml.SafeLoader]
    monkeypatch.delenv(LOADER_ENV)
    assert yaml_loaders()[-1] is yaml.SafeLoader
    assert len(yaml_loaders()) == (2 if _has_libyaml() else 1)


def test_libyaml_nesting_limit_keeps_the_position(in_bad, monkeypatch):
    """libyaml 0.2.5 (the PyYAML 6.0.4 wheels) stops a deep flow nesting with its own scanner
    error, before any event; the depth and its position are then read by the pure-Python parser.
    Simulated here so that it is tested whichever libyaml this machine has."""
    import yaml
    from nnsolve.load.yamldoc import LOADER_ENV
    monkeypatch.delenv(LOADER_ENV, raising=False)
    fast = getattr(yaml, "CSafeLoader", None) or type("CSafeLoader", (yaml.SafeLoader,), {})
    monkeypatch.setattr(yaml, "CSafeLoader", fast, raising=False)
    real_parse = yaml.parse

    def parse(stream, Loader=yaml.Loader):
        if Loader is fast:
            raise yaml.scanner.ScannerError("while increasing flow level", None,
                                            "exceeded maximum nesting depth", None)
        return real_parse(stream, Loader=Loader)
    monkeypatch.setattr(yaml, "parse", parse)
    line = error_line(run(["regularize", "yaml-nested-too-deep.yaml"]))
    assert line.startswith("Error: yaml-nested-too-deep.yaml:6:29: nested deeper than 20 levels")


@pytest.mark.parametrize("limit", [1000, 3000])
@pytest.mark.parametrize("levels", [21, 25, 400, 900, 1200, 3000])
def test_deep_nesting_is_positioned_whatever_the_recursion_limit(tmp_path, monkeypatch, loader,
                                                                  levels, limit):
    """The error points at the list that opens level 21 (the problem's mapping is level 1, the
    first `[` at column 10 level 2, so the 20th `[`, column 29), whichever measured the depth:
    the composed nodes (libyaml; or the pure-Python composer, up to about half of Python's
    recursion limit) or the parser's events (past 1000 indicators, or when the pure-Python
    composer runs out of recursion: 900 levels do at a limit of 1000, not at 3000)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text("kind: regularize\np: 2\nweights: " + "[" * levels + "1"
                                     + "]" * levels + "\nalpha: 1\n")
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        line = error_line(run(["regularize", "p.yaml"]))
    finally:
        sys.setrecursionlimit(old)
    assert line == ("Error: p.yaml:3:29: nested deeper than 20 levels (lists or mappings inside "
                    "one another)")


def test_twenty_levels_are_read(tmp_path, monkeypatch, loader):
    """19 lists in the problem's mapping are 20 levels, the limit: read (and then refused as a
    weights matrix of 19 dimensions, not for its nesting)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text("kind: regularize\np: 2\nweights: " + "[" * 19 + "1"
                                     + "]" * 19 + "\nalpha: 1\n")
    line = error_line(run(["regularize", "p.yaml"]))
    assert "nested deeper" not in line and line.startswith("Error: p.yaml:3:10: weights:"), line


@pytest.mark.parametrize("text, where", [
    # the first list to open level 21 in file order, not the deepest nor the first deep branch
    ("weights: [[1], " + "[" * 19 + "1" + "]" * 19 + ", " + "[" * 30 + "1" + "]" * 30 + "]",
     (1, 10 + 5 + 19)),
    # a mapping's key opens a level too (a complex key)
    ("? " + "[" * 20 + "1" + "]" * 20 + "\n: 1", (1, 3 + 19)),
    # block style: the 20th dash
    ("weights:\n" + "  " + "- " * 25 + "1", (2, 3 + 2 * 19)),
])
def test_deep_nesting_points_at_the_first_list_past_the_limit(tmp_path, monkeypatch, loader,
                                                              text, where):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(text + "\n")
    line = error_line(run(["regularize", "p.yaml"]))
    assert line.startswith(f"Error: p.yaml:{where[0]}:{where[1]}: nested deeper than 20 levels")


def test_deep_nesting_through_an_alias_points_at_the_level_21_node(tmp_path, monkeypatch, loader):
    """Aliases expanded: 15 levels in an anchor, used 10 lists deep; the level-21 node is the
    anchor's 10th list (levels 12 to 26), at its place in the file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text("a: &x " + "[" * 15 + "1" + "]" * 15 + "\n"
                                     "b: " + "[" * 10 + "*x" + "]" * 10 + "\n")
    line = error_line(run(["regularize", "p.yaml"]))
    assert line.startswith(f"Error: p.yaml:1:{7 + 9}: nested deeper than 20 levels"), line


def _nesting(depth_left):
    """Hypothesis: YAML flow text of lists and mappings nested up to depth_left more levels."""
    from hypothesis import strategies as st
    if depth_left == 0:
        return st.just("1")
    inner = st.deferred(lambda: _nesting(depth_left - 1))
    return st.one_of(
        st.just("1"),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), inner), min_size=1, max_size=2,
                 unique_by=lambda kv: kv[0])
        .map(lambda kvs: "{" + ", ".join(f"{k}: {v}" for k, v in kvs) + "}"))


def test_composed_nodes_and_events_name_the_same_place():
    """The two measures of depth (on the composed nodes, on the parser's events) refuse the same
    texts at the same line and column, over random nestings around the limit."""
    import yaml
    from hypothesis import given, settings, strategies as st
    from nnsolve.errors import ProblemError
    from nnsolve.load.yamldoc import _check_depth, _check_tags

    def where(measure):
        try:
            measure()
        except ProblemError as e:
            assert "nested deeper than 20 levels" in str(e)
            return e.line, e.col
        return None

    @settings(max_examples=150, deadline=None)
    @given(st.integers(15, 22).flatmap(lambda k: st.tuples(st.just(k), _nesting(4))),
           st.booleans())
    def check(deep, block):
        k, tail = deep
        text = "[" * k + tail + "]" * k
        text = f"x: 1\nw:\n  - {text}\n" if block else f"w: [0, {text}]\n"
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        by_nodes = where(lambda: _check_tags(node, "p"))
        by_events = where(lambda: _check_depth(yaml, text, "p", yaml.SafeLoader))
        assert by_nodes == by_events

    check()


def test_alias_bomb_is_refused_before_expanding(in_bad):
    # 10^9 numbers if expanded; refused by counting shared nodes (no time or memory spent)
    line = error_line(run(["backprop", "yaml-alias-bomb.yaml"]))
    assert "more than 200,000 values written in YAML (aliases expanded)" in line


def test_huge_shape_is_fine_for_shape(in_bad):
    """Nothing is allocated for `shape`, so a huge input is answered."""
    import json
    r = run(["shape", "--input", "3x100000x100000", "--kernel", "3", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["output_shape"] == [1, 99998, 99998]
    assert data["total_parameters"] == 28


def test_failed_run_leaves_output_file_untouched(in_bad, tmp_path):
    out = tmp_path / "solution.txt"
    out.write_text("the old solution\n")
    r = run(["backprop", "bp-nan.yaml", "-o", out])
    assert r.exit_code == 1
    assert out.read_text() == "the old solution\n"
    assert sorted(os.listdir(tmp_path)) == ["solution.txt"]   # no temporary file left behind


def test_output_file_written_whole(tmp_path):
    out = tmp_path / "solution.json"
    out.write_text("old")
    problem = os.path.join(ROOT, "problems", "seed-backprop.yaml")
    r = run(["backprop", problem, "--format", "json", "-o", out])
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_text() == run(["backprop", problem, "--format", "json"]).stdout
    assert sorted(os.listdir(tmp_path)) == ["solution.json"]


def test_output_file_keeps_its_mode(tmp_path):
    """-o replaces a file's contents, not its permissions; a new file gets 0666 less the umask."""
    out = tmp_path / "solution.txt"
    out.write_text("old")
    os.chmod(out, 0o644)
    r = run(["shape", "--input", "1x4x4", "--kernel", "2", "-o", out])
    assert r.exit_code == 0, r.stderr
    assert out.read_text() != "old"
    assert out.stat().st_mode & 0o777 == 0o644
    os.chmod(out, 0o640)
    assert run(["shape", "--input", "1x4x4", "--kernel", "2", "-o", out]).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640
    umask = os.umask(0o022)
    try:
        new = tmp_path / "new.txt"
        assert run(["shape", "--input", "1x4x4", "--kernel", "2", "-o", new]).exit_code == 0
        assert new.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_output_through_a_symbolic_link_writes_its_target(tmp_path):
    target = tmp_path / "real" / "solution.txt"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    r = run(["shape", "--input", "1x4x4", "--kernel", "2", "-o", link])
    assert r.exit_code == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == run(["shape", "--input", "1x4x4", "--kernel", "2"]).stdout
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "real"]
    assert os.listdir(target.parent) == ["solution.txt"]


def test_matrix_text_file_over_the_size_cap_is_refused_unread(tmp_path, monkeypatch):
    """Matrix text files have the YAML file's cap: at most cap + 1 bytes are read."""
    import nnsolve.load.arrays as arrays
    monkeypatch.setattr(arrays, "MAX_TEXT_BYTES", 1000)
    (tmp_path / "w.txt").write_text("1 2\n" * 400)          # 1600 bytes
    reads = []
    real_fdopen = os.fdopen

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            reads.append(n)
            return self.fh.read(n)

    def spy_fdopen(fd, mode="r", *a, **kw):     # the matrix file is opened by its descriptor
        return Spy(real_fdopen(fd, mode, *a, **kw))
    monkeypatch.setattr(arrays.os, "fdopen", spy_fdopen)
    monkeypatch.chdir(tmp_path)
    line = error_line(run(["regularize", "--p", "2", "--alpha", "1", "--weights", "w.txt"]))
    assert line == ("Error: w.txt: is larger than 1,000 bytes of text; give large matrices as "
                    ".npy files")
    assert reads == [1001]


def test_numbers_that_outgrow_floats(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("kind: backprop\ninput: [1e300]\ntarget: [1]\nlayers:\n  - weights: [[1e300]]\n"
                 "loss: squared_error\nlearning_rate: 0.1\n")
    assert error_line(run(["backprop", p, "--format", "json"])) == (
        f"Error: {p}:1:1: the numbers outgrow floating point (beyond ±1.8e308, or undefined) in "
        "step 1: use smaller weights, inputs or learning rate")


def test_many_exact_steps_stay_fast(tmp_path):
    """Exact fractions grow with every step; past a length the steps are computed in floats."""
    with open(os.path.join(ROOT, "problems", "xor-batch.yaml"), encoding="utf-8") as fh:
        text = fh.read().replace("steps: 2", "steps: 30")
    p = tmp_path / "p.yaml"
    p.write_text(text)
    r = run(["backprop", p, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count('"loss"') == 30


# --- bugs: internal errors and NNSOLVE_DEBUG ---------------------------------------------------

def test_internal_error_says_bug_without_traceback(monkeypatch):
    import nnsolve.cli.common as common

    def broken(solution, out):
        raise RuntimeError("boom")
    monkeypatch.setattr(common, "render_solution", broken)
    monkeypatch.delenv("NNSOLVE_DEBUG", raising=False)
    r = run(["shape", "--input", "1x4x4", "--kernel", "2"])
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip() == (
        f"Error: internal error, a bug in nnsolve {__version__}: RuntimeError: boom. Please "
        "report it with the problem file; NNSOLVE_DEBUG=1 shows the traceback.")


def test_debug_shows_the_traceback():
    env = dict(os.environ, NNSOLVE_DEBUG="1")
    bad = os.path.join(BAD, "bp-nan.yaml")
    p = subprocess.run([sys.executable, "-m", "nnsolve", "backprop", bad], capture_output=True,
                       text=True, env=env, cwd=ROOT)
    assert p.returncode != 0 and p.stdout == ""
    assert "Traceback" in p.stderr and "ProblemError" in p.stderr
    env.pop("NNSOLVE_DEBUG")
    p = subprocess.run([sys.executable, "-m", "nnsolve", "backprop", bad], capture_output=True,
                       text=True, env=env, cwd=ROOT)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
