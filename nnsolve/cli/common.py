"""What every solving command shares: output options, the solve pipeline, writing output safely."""

from __future__ import annotations

import os
import stat
import sys

import click

FORMAT_CHOICES = ["text", "markdown", "latex", "json"]


class Output:
    """Where and how to write a solution (a plain class: `--help` should not pay for dataclasses)."""

    __slots__ = ("format", "precision", "exact", "output", "detail", "fragment")

    def __init__(self, format: str = "text", precision: int = 6, exact: bool = False,
                 output: str | None = None, detail: str | None = None, fragment: bool = False):
        self.format = format
        self.precision = precision
        self.exact = exact
        self.output = output
        self.detail = detail
        self.fragment = fragment


def output_dir_exists(ctx, param, value):
    """-o into a folder that does not exist is a usage error, found before any work is done."""
    if value not in (None, "-"):
        directory = os.path.dirname(os.path.abspath(value))
        if not os.path.isdir(directory):
            raise click.BadParameter(f"the folder {os.path.dirname(value) or '.'} does not "
                                     f"exist", ctx, param)
    return value


def output_options(f):
    """The options every solving command takes (--format, --precision, --exact, -o, --detail)."""
    options = [
        click.option("--format", "format_", type=click.Choice(FORMAT_CHOICES), default="text",
                     show_default=True, help="Output format."),
        click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True,
                     help="Significant digits for values that are not exact."),
        click.option("--exact", is_flag=True,
                     help="Show exact rationals as fractions (1/3) instead of rounded decimals."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                     callback=output_dir_exists,
                     help="Write to this file (all or nothing) instead of standard output."),
        click.option("--detail", type=click.Choice(["full", "summary"]),
                     help="full: every weight and window; summary: matrices only. "
                          "Default: full while the problem is small."),
        click.option("--fragment", is_flag=True,
                     help="LaTeX: only the body, to paste into an existing document."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def make_output(kwargs: dict) -> Output:
    """Take the output options out of a command's keyword arguments."""
    return Output(format=kwargs.pop("format_"), precision=kwargs.pop("precision"),
                  exact=kwargs.pop("exact"), output=kwargs.pop("output"),
                  detail=kwargs.pop("detail"), fragment=kwargs.pop("fragment"))


def _to_terminal(out: Output) -> bool:
    return is_stdout(out.output) and sys.stdout.isatty()


def text_width(out: Output) -> int:
    """The width of text output: COLUMNS when it is set (also when standard output is piped,
    e.g. into less), else the terminal's, else 100; at least 40. A file named by -o is
    always 100 wide."""
    if not is_stdout(out.output):
        return 100
    cols = os.environ.get("COLUMNS", "").strip()
    if cols.isdigit() and int(cols) > 0:
        return max(40, int(cols))
    if _to_terminal(out):
        import shutil
        return max(40, shutil.get_terminal_size((100, 24)).columns)
    return 100


def render_solution(solution, out: Output) -> str:
    """The solution in the chosen format, as text."""
    from ..render import RenderOptions, render
    color = out.format == "text" and _to_terminal(out) and not os.environ.get("NO_COLOR")
    width = text_width(out)
    opts = RenderOptions(precision=out.precision, exact=out.exact, width=width, color=color,
                         fragment=out.fragment)
    return render(solution, out.format, opts)


def is_stdout(path: str | None) -> bool:
    """True for no -o, `-o -`, `-o /dev/stdout`, or a path that is the file standard output
    already writes to (so that `>> log` is appended to, never truncated)."""
    if path in (None, "-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"):
        return True
    try:
        here, there = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no such file, or stdout is not a file
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def same_file(a: str, b: str) -> bool:
    """Two paths that name one file (the same path, or links to one file)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_output(text: str, path: str | None) -> None:
    """Write to standard output, or to a file so that nothing is ever lost.

    A regular file is written whole or not at all, through a temporary file beside it and a
    rename (a failed, interrupted or terminated run leaves the file as it was and no temporary
    file behind); it keeps the mode it had (a new one gets 0o666 less the umask, as open()
    gives), and a symbolic link is written through. A character device or a FIFO (`/dev/null`,
    a named pipe read by another process) is written to directly, never replaced; a block
    device, socket or directory is refused. A full disk is an error, never a silent exit 0."""
    if is_stdout(path):
        click.echo(text, nl=False)
        return
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise click.FileError(path, e.strerror) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_special(text, path, target, st)
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    directory = os.path.dirname(target)
    import tempfile
    with _terminate_as_exit():
        try:
            fd, tmp = tempfile.mkstemp(prefix=".nnsolve-", dir=directory)
        except OSError as e:
            raise click.FileError(path, e.strerror) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fchmod(fh.fileno(), mode)   # mkstemp makes 0600, private to its owner
            os.replace(tmp, target)
        except BaseException as e:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(e, OSError):
                raise click.FileError(path, e.strerror) from None
            raise


def _write_special(text: str, path: str, target: str, st) -> None:
    """Write straight into a character device or a FIFO (opened without O_CREAT or O_TRUNC)."""
    if stat.S_ISFIFO(st.st_mode):
        flags = os.O_WRONLY | os.O_NONBLOCK      # a FIFO nobody reads: an error, not a hang
    elif stat.S_ISCHR(st.st_mode):
        flags = os.O_WRONLY
    else:
        what = "a directory" if stat.S_ISDIR(st.st_mode) else \
            "a block device" if stat.S_ISBLK(st.st_mode) else "not a regular file"
        raise click.FileError(path, f"is {what}; nnsolve writes only to regular files, "
                                    f"character devices and FIFOs")
    try:
        fd = os.open(target, flags)
    except OSError as e:
        import errno
        reason = "no process is reading this FIFO" if e.errno == errno.ENXIO else e.strerror
        raise click.FileError(path, reason) from None
    try:
        if flags & os.O_NONBLOCK:
            os.set_blocking(fd, True)
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as e:
        raise click.FileError(path, e.strerror) from None
    finally:
        os.close(fd)


class _terminate_as_exit:
    """While writing: SIGTERM and SIGHUP end the process as an exception (exit 128 + signal),
    so that the temporary file is removed on the way out."""

    _SIGNALS = ("SIGTERM", "SIGHUP")

    def __enter__(self):
        import signal
        self._old = {}
        try:
            for name in self._SIGNALS:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._old[sig] = signal.signal(sig, _raise_exit)
        except ValueError:     # not the main thread: signals stay as they are
            pass
        return self

    def __exit__(self, *exc):
        import signal
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def _umask() -> int:
    """The process's umask (read by setting it, the only way, and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def solve_and_write(problem, out: Output, verify: bool = False) -> None:
    """Solve a problem spec and write the rendered solution."""
    from ..solve import SolveOptions, solve
    solution = solve(problem, SolveOptions(detail=out.detail, verify=verify))
    write_output(render_solution(solution, out), out.output)


class progress:
    """A progress bar on standard error while ``total`` items are worked through (a class of
    answers files, many variants), only when standard error is a terminal: never in a pipe, a
    file or a test's captured output. Used as ``with progress(n, "Grading") as step: ... step()``."""

    def __init__(self, total: int, what: str):
        self.total = total
        self.what = what
        self._bar = None

    def __enter__(self):
        if self.total < 2 or not _stderr_is_terminal():
            return lambda: None
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)
        self._bar = Progress(TextColumn(self.what), BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=Console(stderr=True),
                             transient=True)
        self._bar.__enter__()
        task = self._bar.add_task(self.what, total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):   # a closed or replaced stream
        return False


def load_for(kind: str, path: str):
    """Load a problem file for a command of a kind (the file's `kind:` must agree)."""
    from ..load import load_problem
    return load_problem(path, kind)


class RegistryChoice(click.Choice):
    """A click.Choice whose names are read from the operation registry when an option is
    parsed (or its help shown), so that a newly registered activation is accepted at once."""

    def __init__(self, names):
        self._names = names           # a function returning the names
        super().__init__([])

    @property
    def choices(self):
        return tuple(self._names())

    @choices.setter
    def choices(self, value):
        pass


def activation_choice(*, conv: bool = False, exact: bool = False) -> RegistryChoice:
    """The activations an option accepts (``conv``: not softmax; ``exact``: rational ones)."""
    def names():
        from ..ops.registry import activation_class, activation_names
        return [n for n in activation_names(conv=conv)
                if not exact or activation_class(n).rational]
    return RegistryChoice(names)
