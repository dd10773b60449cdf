"""Issue 12: every input ends in a result or one clear `Error:` line, quickly, and nothing is lost.

Each case of the issue is reproduced here (most of them failed before the fix: an internal
error, a RuntimeWarning on stderr, a file replaced, a run of minutes); the fuzzer is in
tests/test_fuzz.py.
"""

import glob
import os
import signal
import stat
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from nnsolve.cli import cli

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROBLEMS = os.path.join(ROOT, "problems")
SEED_CONV = os.path.join(PROBLEMS, "seed-conv.yaml")


def run(args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def error_line(r, code=1):
    """The one `Error:` line of a failed run; nothing on stdout, no traceback, no warning."""
    assert r.exit_code == code, (r.exit_code, r.stderr, r.stdout[:300])
    assert r.stdout == ""
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert "Warning" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    if code == 1:
        assert len(lines) == 1, r.stderr
    errors = [l for l in lines if l.startswith("Error:")]
    assert len(errors) == 1, r.stderr
    return errors[0]


def nnsolve(args, **kw):
    """nnsolve in its own process (for standard output that is a real pipe or file)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "nnsolve", *map(str, args)], env=env,
                          timeout=60, **kw)


# --- -o never destroys what is there --------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


@needs_root
def test_output_onto_a_character_device_writes_into_it(tmp_path):
    """A copy of /dev/null stays a device (it was replaced by a regular file)."""
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    r = run(["conv", SEED_CONV, "-o", null])
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert not glob.glob(str(tmp_path / ".nnsolve-*"))


@needs_root
def test_output_onto_a_full_device_reports_the_full_disk(tmp_path):
    """A copy of /dev/full: `No space left on device`, exit 1 (it exited 0)."""
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    r = run(["conv", SEED_CONV, "-o", full])
    assert r.exit_code == 1
    assert "No space left on device" in r.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_output_onto_a_fifo_nobody_reads_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = run(["conv", SEED_CONV, "-o", fifo])
    assert r.exit_code == 1
    assert "no process is reading this FIFO" in r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_onto_a_fifo_with_a_reader_is_written_through_it(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    import time
    for _ in range(200):                 # until the reader has opened its end
        r = run(["conv", SEED_CONV, "--format", "json", "-o", fifo])
        if r.exit_code == 0:
            break
        time.sleep(0.01)
    reader.join(10)
    assert r.exit_code == 0, r.stderr
    assert got and got[0].startswith(b"{") and b'"kind": "conv"' in got[0]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_to_dev_stdout_through_a_pipe():
    """`-o /dev/stdout` failed when standard output is a pipe."""
    r = nnsolve(["conv", SEED_CONV, "--format", "json", "-o", "/dev/stdout"],
                capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"{") and r.stderr == b""


@pytest.mark.parametrize("name", ["/dev/stdout", "-", "LOG"])
def test_output_to_standard_output_appends_to_a_log(tmp_path, name):
    """`-o /dev/stdout >> log` (or -o naming the log itself) appends; it truncated the log."""
    log = tmp_path / "log"
    log.write_text("earlier line\n")
    with open(log, "ab") as fh:
        r = nnsolve(["conv", SEED_CONV, "--format", "json", "-o",
                     log if name == "LOG" else name], stdout=fh, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    text = log.read_text()
    assert text.startswith("earlier line\n{") and text.rstrip().endswith("}")


def test_terminated_while_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    """SIGTERM between writing the temporary file and the rename: the target is as it was and
    the `.nnsolve-XXXXXXXX` beside it is removed; the exit status is 128 + 15."""
    from nnsolve.cli import common
    target = tmp_path / "out.txt"
    target.write_text("precious\n")
    real_replace = os.replace

    def terminated(src, dst):
        assert os.path.exists(src)
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):            # the handler runs between two bytecodes
            pass
        real_replace(src, dst)

    monkeypatch.setattr(common.os, "replace", terminated)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as e:
        common.write_output("new text\n", str(target))
    assert e.value.code == 128 + signal.SIGTERM
    assert target.read_text() == "precious\n"
    assert os.listdir(tmp_path) == ["out.txt"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_new_with_the_same_file_for_problem_and_answers_is_a_usage_error(tmp_path):
    ex = tmp_path / "ex.yaml"
    r = run(["new", "conv", "--seed", "1", "-o", ex, "--answers", tmp_path / "." / "ex.yaml"])
    line = error_line(r, 2)
    assert "-o and --answers name the same file" in line
    assert not ex.exists()
    os.symlink(ex, tmp_path / "link.yaml")
    r = run(["new", "conv", "--seed", "1", "-o", ex, "--answers", tmp_path / "link.yaml"])
    assert "-o and --answers name the same file" in error_line(r, 2)


# --- strict parsing -------------------------------------------------------------------------

def conv_json(tmp_path, input_text, kernel="[[1]]"):
    p = tmp_path / "p.yaml"
    p.write_text(f"kind: conv\ninput: {input_text}\nkernel: {kernel}\n")
    return run(["conv", p, "--format", "json"])


@pytest.mark.parametrize("text, message", [
    ('"1/3/4"', "expected a number, got '1/3/4'"),
    ('"1_0"', "expected a number, got '1_0'"),
    ("1_0", "expected a number, got '1_0'"),           # YAML 1.1 reads it as the int 10
    ('"١٢"', "expected a number, got '١٢'"),            # Arabic-Indic digits
    ('"1/2/"', "expected a number, got '1/2/'"),
])
def test_numbers_are_read_strictly(tmp_path, text, message):
    import json
    r = conv_json(tmp_path, f"[[1, {text}]]")
    assert error_line(r).endswith(message)
    ok = conv_json(tmp_path, '[[1, "1/3"]]')        # a fraction is still a number
    assert json.loads(ok.stdout)["output"] == [[1, 1 / 3]]


@pytest.mark.parametrize("args", [
    ["conv", "--input", os.path.join(PROBLEMS, "I.txt"), "--kernel",
     os.path.join(PROBLEMS, "K.txt"), "--stride", "1x"],
    ["conv", "--input", os.path.join(PROBLEMS, "I.txt"), "--kernel",
     os.path.join(PROBLEMS, "K.txt"), "--padding", "1,"],
    ["shape", "--input", "3x32x32x", "--kernel", "3"],
    ["shape", "--input", "x3x32", "--kernel", "3"],
    ["shape", "--input", "3x32x32", "--kernel", "3x"],
    ["shape", "--input", "3x٣٢x32", "--kernel", "3"],
])
def test_option_shapes_with_a_dangling_separator_are_refused(args):
    assert "Invalid value" in error_line(run(args), 2)


@pytest.mark.parametrize("sep", ["\u2028", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
def test_a_comment_in_a_matrix_file_ends_only_at_a_newline(tmp_path, sep):
    """str.splitlines() ended a `#` comment at these characters and read the rest as numbers."""
    import json
    (tmp_path / "I.txt").write_text(f"1 2 # a comment{sep} 3 4\n5 6\n", encoding="utf-8")
    r = conv_json(tmp_path, "I.txt")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["output"] == [[1, 2], [5, 6]]
    (tmp_path / "I.txt").write_text(f"1 2{sep}3 4\n5 6 7 8\n", encoding="utf-8")
    assert "expected a number" in error_line(conv_json(tmp_path, "I.txt"))   # not a separator


def _big_text(rows: int, last: str) -> str:
    body = "".join("0.5 " * 99 + "0.25\n" for _ in range(rows - 1))
    return body + "0.5 " * 99 + last + "\n"


@pytest.mark.parametrize("rows", [2, 1000])        # 1000 rows are over 200 KB: read as float64
def test_large_matrix_files_follow_the_same_rules(tmp_path, rows):
    import json
    text = _big_text(rows, "1/4")
    assert (len(text) > 200_000) == (rows == 1000)
    (tmp_path / "I.txt").write_text(text)
    r = conv_json(tmp_path, "I.txt")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)["output"]
    assert out[-1][-1] == 0.25 and out[0][0] == 0.5
    for bad, message in [("1_0", "expected a number, got '1_0'"),
                         ("1/3/4", "expected a number, got '1/3/4'"),
                         ("infinity", "expected a finite number, got 'infinity'"),
                         ("1e400", "expected a size between 1e-400 and 1.8e308 (or 0), got "
                                   "'1e400'"),
                         ("٣", "expected a number, got '٣'")]:
        (tmp_path / "I.txt").write_text(_big_text(rows, bad))
        line = error_line(conv_json(tmp_path, "I.txt"))
        assert line.endswith(f"I.txt:{rows}:397: input: {message}"), line


def test_a_sheet_naming_a_directory_names_the_sheet_and_its_line(tmp_path):
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text('title: t\nkind: sheet\nproblems:\n  - file: "/"\n')
    assert error_line(run(["solve", sheet])) == \
        f"Error: {sheet}:4:11: problems[0].file: / is a directory, expected a file"


def test_fifos_are_refused_not_waited_on(tmp_path):
    """A FIFO as the problem, as a matrix file named in it, or as --input blocked for ever."""
    os.mkfifo(tmp_path / "fifo.yaml")
    os.mkfifo(tmp_path / "I.txt")
    (tmp_path / "p.yaml").write_text("kind: conv\ninput: I.txt\nkernel: [[1]]\n")
    (tmp_path / "sheet.yaml").write_text("title: t\nkind: sheet\nproblems:\n"
                                         "  - file: fifo.yaml\n")
    cases = [(["solve", "fifo.yaml"], "Error: fifo.yaml: is a FIFO (named pipe), expected a "
                                      "YAML problem file (a regular file, or - for standard input)"),
             (["conv", "p.yaml"], "Error: p.yaml:2:8: input: I.txt is a FIFO (named pipe), "
                                  "expected a file"),
             (["conv", "--input", "I.txt", "--kernel", os.path.join(PROBLEMS, "K.txt")],
              "Error: I.txt: is a FIFO (named pipe), expected a matrix file (a regular file, "
              "or - for standard input)"),
             (["solve", "sheet.yaml"], "Error: sheet.yaml:4:11: problems[0].file: fifo.yaml is "
                                       "a FIFO (named pipe), expected a file")]
    for args, expected in cases:
        r = nnsolve(args, cwd=tmp_path, capture_output=True, text=True)
        assert (r.returncode, r.stdout, r.stderr.strip()) == (1, "", expected)


def test_control_characters_in_a_title_never_reach_the_terminal(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text('kind: conv\ntitle: "a\\e[31mRED\\e]0;x\\a\\u202eevil\\u0085z\\tq"\n'
                 'input: [[1]]\nkernel: [[1]]\n')
    for fmt in ["text", "markdown", "latex"]:
        r = run(["conv", p, "--format", fmt])
        assert r.exit_code == 0, r.stderr
        for c in "\x1b\x07\u202e\x85\t":
            assert c not in r.stdout, (fmt, c)
        assert "a[31mRED]0;xevilz q" in r.stdout.replace("\\", "")


# --- no internal error: overflow, long fractions, odd headers and keys ----------------------

FORMATS = ["text", "json", "markdown", "latex"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_float64_conv_that_overflows_is_one_error_line(tmp_path, fmt):
    """A 71×71 grid of 1e308 (float64: over 5,000 numbers): RuntimeWarnings on stderr, then an
    internal error in JSON and `inf` with exit 0 in text."""
    row = "[" + ", ".join(["1e308"] * 71) + "]"
    p = tmp_path / "p.yaml"
    p.write_text(f"kind: conv\ninput: [{', '.join([row] * 71)}]\nkernel: [[1, 1], [1, 1]]\n")
    line = error_line(run(["conv", p, "--format", fmt]))
    assert line == (f"Error: {p}:1:1: a number of the solution (output) is beyond ±1.8e308, the "
                    "range of a float that every format shares, or undefined: use smaller values")
    # from the command line: the input file the numbers came from
    (tmp_path / "x.txt").write_text("\n".join([" ".join(["1e308"] * 71)] * 71) + "\n")
    (tmp_path / "k.txt").write_text("1 1\n1 1\n")
    line = error_line(run(["conv", "--input", tmp_path / "x.txt", "--kernel", tmp_path / "k.txt",
                           "--format", fmt]))
    assert line.startswith(f"Error: {tmp_path / 'x.txt'}: --input: a number of the solution "
                           "(output) is beyond ±1.8e308")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("activation", ["", "activation: sigmoid\n", "activation: tanh\n"])
def test_exact_conv_beyond_the_float_range_is_one_error_line(tmp_path, fmt, activation):
    """1e200 · 1e200/3 is exact but no float: OverflowError in JSON (in every format with
    sigmoid)."""
    p = tmp_path / "p.yaml"
    p.write_text(f'kind: conv\ninput: [[1e200]]\nkernel: [["1e200/3"]]\n{activation}')
    line = error_line(run(["conv", p, "--format", fmt]))
    assert line.startswith(f"Error: {p}:1:1: a number of the solution") and \
        "is beyond ±1.8e308" in line


def test_a_value_just_inside_the_float_range_is_solved(tmp_path):
    import json
    p = tmp_path / "p.yaml"
    p.write_text('kind: conv\ninput: [[1e154]]\nkernel: [["1e154/3"]]\n')
    r = run(["conv", p, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["output"] == [[1e308 / 3]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_exact_fractions_past_the_int_text_limit_are_written_rounded(fmt):
    """w²⁵⁶ of w = 1/123456789012345678901 has a 5,000-digit denominator: Python's 4,300-digit
    limit on int → str was an internal error with --exact."""
    r = run(["regularize", "--p", "256", "--alpha", "1", "--weights",
             "1/123456789012345678901", "--exact", "--format", fmt])
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    if fmt == "text":
        assert "1/123456789012345678901" in r.stdout       # short fractions stay fractions
        assert "≈ 1.18011e-5121" in r.stdout or "1.18011e-5121" in r.stdout


def test_format_number_rounds_long_fractions_and_integers():
    from fractions import Fraction
    from nnsolve.numbers import format_number
    x = Fraction(1, 123456789012345678901) ** 256
    f = format_number(x, 6, exact=True)
    assert f.approx and f.text == "3.73393e-5144"      # checked with decimal below
    from decimal import Decimal, localcontext
    with localcontext() as ctx:
        ctx.prec = 50
        assert f"{Decimal(1) / Decimal(123456789012345678901) ** 256:.5e}" == "3.73393e-5144"
    assert format_number(Fraction(2, 3), 6, exact=True).text == "2/3"
    assert format_number(Fraction(10 ** 59 + 1, 3), 6, exact=True).text == f"{10 ** 59 + 1}/3"
    assert format_number(10 ** 400, 6).text == "1e400"
    assert format_number(3 ** 1000, 6).approx


def test_terminating_decimals_are_recognised_quickly_and_rightly():
    """`regularize --p 256 --weights 1e-100` spent 14.7 s dividing 10²⁵⁶⁰⁰ by 2 and 5."""
    import random
    from nnsolve.numbers import _terminating

    def slow(d):
        for p in (2, 5):
            while d % p == 0:
                d //= p
        return d == 1
    rng = random.Random(1)
    for _ in range(3000):
        d = 2 ** rng.randrange(60) * 5 ** rng.randrange(40) * rng.choice([1, 1, 3, 7, 11, 49])
        assert _terminating(d) == slow(d), d
    assert _terminating(10 ** 25600) and not _terminating(3 * 10 ** 25600)
    r = run(["regularize", "--p", "256", "--alpha", "1", "--weights", "1e-100"])
    assert r.exit_code == 0 and "1e-25600" in r.stdout


def test_shape_whose_sizes_outgrow_every_number_is_one_error_line(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("kind: shape\ninput: [1, 2, 2]\nlayers:\n" +
                 "  - conv_transpose: {filters: 1, kernel: 1, stride: 1e300}\n" * 15)
    for fmt in FORMATS:
        line = error_line(run(["shape", p, "--format", fmt]))
        assert "(layers[1].macs) is beyond ±1.8e308" in line      # the first in sorted keys
        # at the layer it belongs to: the second, on line 5
        assert line.startswith(f"Error: {p}:5:21: layers[1].conv_transpose: a number of the "
                               "solution (layers[1].macs)")


def _npy_with_header(path, header: str, data: bytes):
    header = header + " " * (118 - len(header) - 10) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                     + header.encode("latin1") + data)


def test_npy_whose_header_gives_true_as_a_size(tmp_path):
    import numpy as np
    _npy_with_header(tmp_path / "X.npy", "{'descr': '<f8', 'fortran_order': False, "
                     "'shape': (True, True), }", np.float64(1).tobytes())
    (tmp_path / "p.yaml").write_text("kind: conv\ninput: X.npy\nkernel: [[1]]\n")
    line = error_line(run(["conv", tmp_path / "p.yaml"]))
    assert line.endswith("X.npy: input: is not a valid .npy file (its header gives the shape "
                         "(True, True), expected whole numbers)")


def test_longdouble_npy_beyond_float64_is_one_line_without_warnings(tmp_path):
    import numpy as np
    if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
        pytest.skip("longdouble is float64 on this platform")
    np.save(tmp_path / "X.npy", np.array([[np.longdouble("1e4000")]]))
    (tmp_path / "p.yaml").write_text("kind: conv\ninput: X.npy\nkernel: [[1]]\n")
    line = error_line(run(["conv", tmp_path / "p.yaml"]))
    assert "values beyond ±1.8e308, the range of float64 that nnsolve computes in" in line
    np.save(tmp_path / "X.npy", np.array([[np.longdouble("0.5")]]))     # in range: read
    assert run(["conv", tmp_path / "p.yaml"]).exit_code == 0


@pytest.mark.parametrize("key", ["²", "٣", "1" * 5000], ids=["superscript", "arabic", "long"])
def test_check_with_a_layer_key_that_is_not_ascii_digits(tmp_path, key):
    """'²'.isdigit() is true and int('²') fails."""
    a = tmp_path / "a.yaml"
    a.write_text(f"problem: {os.path.join(PROBLEMS, 'seed-backprop.yaml')}\nanswers:\n"
                 f"  layers:\n    ? \"{key}\"\n    : {{dJ_dW: [[0, -18]]}}\n")
    line = error_line(run(["check", a]))
    assert "expected a number from 1 to 3" in line


def test_json_never_writes_negative_zero(tmp_path):
    """-1e-400 is exact; as a float it is -0.0, which JSON wrote as `-0.0`."""
    import json
    p = tmp_path / "p.yaml"
    p.write_text('kind: conv\ninput: [["-1e-400", 1]]\nkernel: [[1]]\n')
    r = run(["conv", p, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert "-0.0" not in r.stdout and json.loads(r.stdout)["output"] == [[0, 1]]
    big = tmp_path / "X.txt"        # float64 arrays (large ones written row by row) too
    big.write_text(("-1e-320 " * 40 + "\n") * 40)
    p.write_text("kind: conv\ninput: X.txt\nkernel: [[1e-10]]\n")
    r = run(["conv", p, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert "-0.0" not in r.stdout


# --- limits that hold, across arrays and across a sheet --------------------------------------

def _aliased(n_rows, row_len, value="1"):
    row = "[" + ",".join([value] * row_len) + "]"
    return "[&r" + str(n_rows) + " " + row + "," + ",".join(["*r" + str(n_rows)] * (n_rows - 1)) + "]"


def test_aliases_that_expand_across_arrays_are_refused_before_expanding(tmp_path):
    """200 aliased 1000×1000 kernels in a 12 KB file: 200 M numbers, each array under the
    limit; it ran past 20 s."""
    k = "&k " + _aliased(1000, 1000)
    p = tmp_path / "p.yaml"
    p.write_text(f"kind: conv\ninput: [[1]]\nkernels: [{k}, {', '.join(['*k'] * 199)}]\n")
    assert p.stat().st_size < 12_000
    assert error_line(run(["conv", p])) == (
        f"Error: {p}:1:1: too large: more than 200,000 values written in YAML (aliases "
        f"expanded); give large matrices as .npy or .txt files")


def test_a_sheet_of_aliased_problems_is_refused_as_a_whole(tmp_path):
    """50 problems of 100,000 aliased numbers each: each under the limit, 5 M in all."""
    (tmp_path / "p.yaml").write_text(f"kind: conv\ninput: {_aliased(100, 1000)}\n"
                                     f"kernel: [[1]]\n")
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("kind: sheet\ntitle: t\nproblems:\n" + "  - file: p.yaml\n" * 50)
    line = error_line(run(["solve", sheet]))
    assert line == (f"Error: {tmp_path / 'p.yaml'}:1:1: problems[1].file: too large: more than "
                    f"200,000 values written in YAML in this file and the sheet's files before "
                    f"it (aliases expanded); give large matrices as .npy or .txt files")
    assert run(["solve", tmp_path / "p.yaml", "--format", "json"]).exit_code == 0   # one is fine


def test_a_sheet_of_large_npy_files_is_refused_at_the_one_past_the_limit(tmp_path):
    """20 copies of a 2000×2000 .npy conv reached 3.7 GB and a MemoryError."""
    import numpy as np
    np.save(tmp_path / "X.npy", np.ones((2000, 2000)))
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("kind: sheet\ntitle: t\nproblems:\n" +
                     "  - kind: conv\n    input: X.npy\n    kernel: [[1]]\n" * 20)
    line = error_line(run(["solve", sheet, "--format", "json"]))
    assert line == (f"Error: {tmp_path / 'X.npy'}: problems[2].input: holds 4,000,000 numbers "
                    f"(shape 2000×2000), with the 8,000,000 numbers read before it for this "
                    f"problem or sheet, more than the limit of 10,000,000: too large")


# --- bounded cost: exact arithmetic that would explode is float64 with a note, or refused ----

def test_conv_with_a_huge_padding_is_float64_with_a_note(tmp_path):
    """3×3 input, 2×2 kernel, padding 400: 14.5 s of exact windows; now float64, noted."""
    import json
    p = tmp_path / "p.yaml"
    p.write_text("kind: conv\ninput: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\n"
                 "kernel: [[1, 0], [0, -1]]\npadding: 400\n")
    from nnsolve.load import load_problem
    spec = load_problem(str(p))
    assert not spec.exact and "multiply-adds" in spec.float_reason
    r = run(["conv", p])
    assert r.exit_code == 0, r.stderr
    assert "so this problem is computed in floating point" in " ".join(r.stdout.split())
    out = json.loads(run(["conv", p, "--format", "json"]).stdout)["output"]
    X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    K = [[1, 0], [0, -1]]

    def x(i, j):                       # the padded input
        i, j = i - 400, j - 400
        return X[i][j] if 0 <= i < 3 and 0 <= j < 3 else 0
    assert len(out) == 802 and all(len(row) == 802 for row in out)
    for i in range(802):
        for j in range(802):
            if 397 <= i <= 403 and 397 <= j <= 403:
                want = sum(x(i + u, j + v) * K[u][v] for u in range(2) for v in range(2))
                assert out[i][j] == want, (i, j)
            else:
                assert out[i][j] == 0, (i, j)


def test_small_conv_stays_exact():
    from nnsolve.load import load_problem
    spec = load_problem(SEED_CONV)
    assert spec.exact and spec.float_reason is None


def _fraction_net(tmp_path, digits, layers, width, seed=0):
    import random
    rng = random.Random(seed)

    def frac():
        return '"%d/%d"' % (rng.randrange(10 ** (digits - 1), 10 ** digits),
                            rng.randrange(10 ** (digits - 1), 10 ** digits))

    def mat(n, m):
        return "[" + ", ".join("[" + ", ".join(frac() for _ in range(m)) + "]"
                               for _ in range(n)) + "]"
    lines = ["kind: backprop", f"input: [{', '.join(frac() for _ in range(width))}]",
             f"target: [{', '.join('1' for _ in range(width))}]", "layers:"]
    for l in range(layers):
        lines.append(f"  - weights: {mat(width, width)}\n"
                     f"    activation: {'relu' if l < layers - 1 else 'linear'}")
    lines += ["loss: squared_error", "learning_rate: 0.1"]
    p = tmp_path / "p.yaml"
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize("digits, layers, width", [(100, 4, 8), (20, 3, 6)])
def test_backprop_with_long_fractions_is_float64_with_a_note(tmp_path, digits, layers, width):
    """4 layers × 8 units of 100-digit fractions took 8.5 s for one exact step; a 6×6 net of
    20-digit fractions hit the 4,300-digit int → str limit with --exact."""
    import json
    p = _fraction_net(tmp_path, digits, layers, width)
    from nnsolve.load import load_problem
    spec = load_problem(str(p))
    assert not spec.exact and "1,000 digits" in spec.float_reason
    r = run(["backprop", p, "--exact"])
    assert r.exit_code == 0, r.stderr
    assert "computed in floating point" in r.stdout
    assert run(["backprop", p, "--format", "json"]).exit_code == 0


def test_backprop_with_short_fractions_stays_exact(tmp_path):
    from nnsolve.load import load_problem
    spec = load_problem(str(_fraction_net(tmp_path, 2, 3, 3)))
    assert spec.exact and spec.float_reason is None
    assert load_problem(os.path.join(PROBLEMS, "seed-backprop.yaml")).exact


def test_exact_digits_estimate_bounds_the_real_growth():
    """The estimate is at least the digits of an exact dense forward-and-backward pass."""
    import random
    from fractions import Fraction
    import numpy as np
    from nnsolve.kinds.common import exact_digits
    rng = random.Random(3)
    for _ in range(20):
        n = rng.randrange(1, 4)
        W = [np.array([[Fraction(rng.randrange(1, 999), rng.randrange(1, 999)) for _ in range(n)]
                       for _ in range(n)], dtype=object) for _ in range(3)]
        x = np.array([Fraction(rng.randrange(1, 99), rng.randrange(1, 99)) for _ in range(n)],
                     dtype=object)
        h = [x]
        for w in W:
            h.append(w.dot(h[-1]))
        g = 2 * h[-1]
        for w in reversed(W):
            g = w.T.dot(g)
        longest = max(len(str(v.numerator)) + len(str(v.denominator))
                      for v in list(h[-1]) + list(g))
        assert exact_digits([x] + W, growth=2, stop=10 ** 6) >= longest - 2


@pytest.mark.parametrize("args, message", [
    (["new", "conv", "--padding", "1000", "--seed", "1"],
     "expected a padding of at most 1 (the kernel size − 1)"),
    (["new", "backprop", "--layers", ",".join(["1"] * 15), "--seed", "1"],
     "too many layers for an exercise written out by hand (at most 6, got 14)"),
])
def test_new_refuses_what_it_could_search_for_minutes(args, message):
    assert message in error_line(run(args))


def test_new_at_the_limits_still_makes_exercises():
    assert run(["new", "conv", "--padding", "1", "--seed", "1"]).exit_code == 0
    r = run(["new", "backprop", "--layers", "1,1,1,1,1,1,1", "--seed", "1"])
    assert r.exit_code == 0, r.stderr


# --- saturated outputs, computed stably (against 50-digit decimal arithmetic) ----------------

from decimal import Decimal, localcontext          # noqa: E402

from hypothesis import given, settings              # noqa: E402
from hypothesis import strategies as st             # noqa: E402


# Working precision of the references: 50 digits of the result even where it is 1 + e⁻⁷⁰⁰ − 1
# (log1p of a tiny value), so 50 more than the 305 digits such a sum can cancel.
PREC = 360


def _d(x):
    return Decimal(float(x))       # the float's exact binary value


def _ref_sigmoid(a):
    with localcontext() as c:
        c.prec = PREC
        return 1 / (1 + (-_d(a)).exp())


def _ref_bce(a, y):
    """−[y log σ(a) + (1 − y) log(1 − σ(a))], 50 digits."""
    with localcontext() as c:
        c.prec = PREC
        a, y = _d(a), _d(y)
        log_s = -((1 + (-a).exp()).ln())            # log σ(a)
        log_1ms = -((1 + a.exp()).ln())             # log σ(−a) = log(1 − σ(a))
        return -(y * log_s + (1 - y) * log_1ms)


def _ref_bce_grad(a, y):
    """∂L/∂ŷ = −y/σ(a) + (1 − y)/σ(−a), 50 digits."""
    with localcontext() as c:
        c.prec = PREC
        a, y = _d(a), _d(y)
        return -y * (1 + (-a).exp()) + (1 - y) * (1 + a.exp())


def _close(x, ref, rel=1e-14):
    ref = float(ref)
    return abs(float(x) - ref) <= rel * abs(ref) + 1e-300


def _bce_problem(tmp_path, a, y):
    p = tmp_path / "p.yaml"
    p.write_text(f"kind: backprop\ninput: [1]\ntarget: [{y}]\nlayers:\n  - weights: [[{a}]]\n"
                 f"    activation: sigmoid\nloss: binary_cross_entropy\nlearning_rate: 0.1\n")
    return p


@pytest.mark.parametrize("a, y", [(20, 0), (36, 0), (37, 0), (-800, 1), (-20, 1), (0.5, 0.25)])
def test_binary_cross_entropy_on_a_saturated_sigmoid(tmp_path, a, y):
    """a = 20, y = 0 gave 19.999999966 (true 20.000000002) and ∂J/∂h off in the 8th digit;
    a = 36 gave 36.0437 (true 36); a = 37 and a = −800, y = 1 were refused as infinite."""
    import json
    r = run(["backprop", _bce_problem(tmp_path, a, y), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    step = json.loads(r.stdout)["steps"][0]
    assert _close(step["loss"], _ref_bce(a, y)), (step["loss"], _ref_bce(a, y))
    layer = step["layers"][0]
    assert _close(layer["dJ_da"][0], _ref_sigmoid(a) - _d(y))
    ref_grad = _ref_bce_grad(a, y)
    if abs(ref_grad) < Decimal("1e308"):
        assert _close(layer["dJ_dh"][0], ref_grad), (layer["dJ_dh"], ref_grad)
    else:                                   # ∂J/∂ŷ itself is beyond floats (−1/σ(−800))
        assert layer["dJ_dh"] is None
    text = run(["backprop", _bce_problem(tmp_path, a, y)]).stdout
    assert "log-sigmoid" in text and "BCEWithLogitsLoss" in text


def test_softmax_cross_entropy_on_saturated_logits(tmp_path):
    """Logits (380, −380), target 1: true loss 760, ∂J/∂a = (1, −1); it was refused."""
    import json
    p = tmp_path / "p.yaml"
    p.write_text("kind: backprop\ninput: [1]\ntarget: 1\nlayers:\n  - weights: [[380], [-380]]\n"
                 "    activation: softmax\nloss: cross_entropy\nlearning_rate: 0.1\n")
    r = run(["backprop", p, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    step = json.loads(r.stdout)["steps"][0]
    assert step["loss"] == 760 and step["layers"][0]["dJ_da"] == [1, -1]
    assert "log-sum-exp" in run(["backprop", p]).stdout


@settings(max_examples=150, deadline=None)
@given(a=st.lists(st.floats(-60, 60), min_size=2, max_size=4), t=st.integers(0, 3))
def test_softmax_cross_entropy_matches_50_digits(a, t):
    import numpy as np
    from nnsolve.ops.registry import losses
    CROSS_ENTROPY = losses()["cross_entropy"]
    t = t % len(a)
    y = np.zeros(len(a))
    y[t] = 1
    with localcontext() as c:
        c.prec = PREC
        lse = sum(_d(x).exp() for x in a).ln()
        ref = lse - _d(a[t])
        grads = [-(lse - _d(x)).exp() if k == t else 0 for k, x in enumerate(a)]
    assert _close(CROSS_ENTROPY.value_logits(y, np.array(a)), ref, 1e-13)
    g = CROSS_ENTROPY.gradient_logits(y, np.array(a))
    assert all(_close(gk, rk, 1e-12) for gk, rk in zip(g, grads))


@settings(max_examples=200, deadline=None)
@given(a=st.floats(-700, 700), y=st.sampled_from([0.0, 1.0, 0.5, 0.25]))
def test_binary_cross_entropy_matches_50_digits(a, y):
    import numpy as np
    from nnsolve.ops.registry import losses
    BINARY_CROSS_ENTROPY = losses()["binary_cross_entropy"]
    v = BINARY_CROSS_ENTROPY.value_logits(np.array([y]), np.array([a]))
    assert _close(v, _ref_bce(a, y), 1e-13), (v, _ref_bce(a, y))
    g = BINARY_CROSS_ENTROPY.gradient_logits(np.array([y]), np.array([a]))[0]
    ref = _ref_bce_grad(a, y)
    if abs(ref) < Decimal("1e300"):
        # −y(1 + e⁻ᵃ) + (1 − y)(1 + eᵃ): where both terms count (0 < y < 1) their sum cancels
        # near a = 0 as ŷ − y does; the error is relative to the terms, not to their sum
        with localcontext() as c:
            c.prec = PREC
            scale = abs(ref) + _d(y) * (1 + (-_d(a)).exp()) + (1 - _d(y)) * (1 + _d(a).exp())
        assert abs(_d(g) - ref) <= Decimal("1e-14") * scale, (g, ref)


@settings(max_examples=300, deadline=None)
@given(a=st.floats(-700, 700))
def test_sigmoid_and_tanh_derivatives_keep_their_relative_accuracy(a):
    """σ′(a) = σ(a)σ(−a) and tanh′(a) = sech²(a), to 1e-14 relatively, saturated or not
    (σ′(30) was 1e-3 off, tanh′(20) came out 0)."""
    import numpy as np
    from nnsolve.kinds.common import activation_named
    from nnsolve.ops.activations import activation_math
    sig = activation_math(activation_named("sigmoid"))
    tanh = activation_math(activation_named("tanh"))
    x = np.array([a])
    with localcontext() as c:
        c.prec = PREC
        e = (-_d(a)).exp()
        ref_sig = e / (1 + e) ** 2
        e2 = (-2 * abs(_d(a))).exp()
        ref_tanh = 4 * e2 / (1 + e2) ** 2
    assert _close(sig.fprime(x, sig.f(x))[0], ref_sig, 1e-13)
    assert _close(tanh.fprime(x, tanh.f(x))[0], ref_tanh, 1e-13)


def test_saturated_units_in_a_network(tmp_path):
    """σ′(30) and tanh′(20) through backprop's JSON: ∂J/∂a = ∂J/∂h · f′(a)."""
    import json
    for act, a, ref in [("sigmoid", 30, None), ("tanh", 20, None)]:
        p = tmp_path / "p.yaml"
        p.write_text(f"kind: backprop\ninput: [1]\ntarget: [0]\nlayers:\n"
                     f"  - weights: [[{a}]]\n    activation: {act}\n"
                     f"  - weights: [[1]]\n    activation: linear\n"
                     f"loss: squared_error\nlearning_rate: 0.1\n")
        layer = json.loads(run(["backprop", p, "--format", "json"]).stdout)["steps"][0]["layers"][0]
        with localcontext() as c:
            c.prec = PREC
            if act == "sigmoid":
                e = Decimal(-a).exp()
                fprime = e / (1 + e) ** 2
            else:
                e2 = Decimal(-2 * a).exp()
                fprime = 4 * e2 / (1 + e2) ** 2
        assert layer["dJ_da"][0] != 0
        assert _close(layer["dJ_da"][0], _d(layer["dJ_dh"][0]) * fprime, 1e-14)


def test_shape_names_the_layer_of_a_value_inside_a_block(tmp_path):
    """A JSON path inside a residual block (its layers, its activation, its shortcut) is the
    position of that layer in the file; a total is the file itself."""
    from nnsolve.load import load_problem
    p = tmp_path / "p.yaml"
    p.write_text("kind: shape\ninput: [2, 4, 4]\nlayers:\n"
                 "  - relu\n"
                 "  - residual:\n"
                 "      layers: [{conv: {filters: 2, kernel: 1}}, relu]\n"
                 "      shortcut:\n"
                 "        - conv: {filters: 2, kernel: 1}\n"
                 "      activation: relu\n")
    problem = load_problem(str(p))
    assert problem.where_of("layers[0].macs")[1:3] == (4, 5)
    assert problem.where_of("layers[1].parameters")[1] == 5
    assert problem.where_of("layers[1].layers[0].macs")[1:3] == (6, 23)    # its settings
    assert problem.where_of("layers[1].layers[2].macs")[1] == 9          # the block's activation
    assert problem.where_of("layers[1].shortcut[0].macs")[1] == 8
    assert problem.where_of("total_macs") is None
