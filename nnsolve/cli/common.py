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
    return out.output in (None, "-") and sys.stdout.isatty()


def render_solution(solution, out: Output) -> str:
    """The solution in the chosen format, as text."""
    from ..render import RenderOptions, render
    color = out.format == "text" and _to_terminal(out) and not os.environ.get("NO_COLOR")
    width = 100
    if _to_terminal(out):
        import shutil
        width = max(60, shutil.get_terminal_size((100, 24)).columns)
    opts = RenderOptions(precision=out.precision, exact=out.exact, width=width, color=color,
                         fragment=out.fragment)
    return render(solution, out.format, opts)


def write_output(text: str, path: str | None) -> None:
    """Write to standard output, or to a file through a temporary file and a rename.

    The file keeps the mode it had (a new one gets 0o666 less the umask, as open() gives), and
    a symbolic link is written through: its target is replaced, the link stays."""
    if path in (None, "-"):
        click.echo(text, nl=False)
        return
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as e:
        raise click.FileError(path, e.strerror) from None
    import tempfile
    try:
        fd, tmp = tempfile.mkstemp(prefix=".nnsolve-", dir=directory)
    except OSError as e:
        raise click.FileError(path, e.strerror) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            os.fchmod(fh.fileno(), mode)   # mkstemp makes 0600, private to its owner
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(sys.exc_info()[1], OSError):
            raise click.FileError(path, sys.exc_info()[1].strerror) from None
        raise


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
