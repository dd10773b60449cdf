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
