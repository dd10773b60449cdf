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
