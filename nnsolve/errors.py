"""The errors nnsolve reports to its user (the CLI turns them into one line and exit 1)."""

from __future__ import annotations


OPTIONS = "<options>"   # the "file" of values given as command-line options


class NnsolveError(Exception):
    """Base of every error that is the user's to fix."""


class ProblemError(NnsolveError):
    """Something in a problem file (or option) is wrong: where it is, which field, what was expected."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 col: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.field = field

    def __str__(self) -> str:
        where = ""
        if self.path is not None and self.path != OPTIONS:   # an option names itself as the field
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return _one_line(f"{where}{field}{self.message}")


def internal_error(e: BaseException) -> str:
    """The one line that reports an unexpected failure: a bug in nnsolve, not the user's."""
    from . import __version__
    return (f"internal error, a bug in nnsolve {__version__}: {type(e).__name__}: {e}. "
            "Please report it with the problem file; NNSOLVE_DEBUG=1 shows the traceback.")


def _one_line(text: str) -> str:
    """Control characters from a user's file (a newline in a key, U+001E) shown escaped, so the
    error stays one line on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
