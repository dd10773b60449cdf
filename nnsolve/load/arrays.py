"""Matrices from files beside a problem: text (.txt, .csv) and NumPy (.npy)."""

from __future__ import annotations

import os
import re
import stat

from ..errors import ProblemError
from ..numbers import parse_float, parse_number

MAX_NUMBERS = 10_000_000        # a problem over this many numbers is refused before allocating
MAX_TEXT_BYTES = 50_000_000     # a text file (YAML problem or matrix) over this is not read
MATRIX_SUFFIXES = (".npy", ".txt", ".csv")
_TOKEN = re.compile(r"[^ \t,;]+")


def not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is ('a directory', 'a FIFO (named pipe)', ...),
    or None for a regular file. Reading a FIFO or a device could block for ever."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(path: str, display: str, what: str):
    """A regular file opened for reading in binary; a directory, FIFO, device or socket is
    refused without blocking (it is opened non-blocking and checked before any read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise ProblemError(f"is a directory, expected {what}", display) from None
    except FileNotFoundError:
        raise ProblemError("no such file", display) from None
    except OSError as e:
        raise ProblemError(f"cannot be read ({e.strerror})", display) from None
    kind = not_regular(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise ProblemError(f"is {kind}, expected {what} (a regular file, or - for standard "
                           f"input)", display)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_capped(path: str, display: str, what: str) -> bytes:
    """A text file's bytes, refusing what is not a regular file, an unreadable file and one
    over MAX_TEXT_BYTES (of which no more than one byte past the cap is read); '-' is standard
    input."""
    if path == "-":
        import sys
        return within_cap(sys.stdin.buffer.read(MAX_TEXT_BYTES + 1), display)
    with open_regular(path, display, what) as fh:
        try:
            data = fh.read(MAX_TEXT_BYTES + 1)
        except OSError as e:
            raise ProblemError(f"cannot be read ({e.strerror})", display) from None
    return within_cap(data, display)


def within_cap(data: bytes, display: str) -> bytes:
    """The bytes read (at most MAX_TEXT_BYTES + 1), refused when they are over the cap."""
    if len(data) > MAX_TEXT_BYTES:
        raise ProblemError(f"is larger than {MAX_TEXT_BYTES:,} bytes of text; give large "
                           f"matrices as .npy files", display)
    return data


def _object_array(rows):
    import numpy as np
    shape = (len(rows), len(rows[0])) if rows else (0, 0)
    arr = np.empty(shape, dtype=object)
    for i, row in enumerate(rows):
        arr[i, :] = row
    return arr


def _read_text(path: str, display: str):
    """Rows of numbers; a blank line between blocks makes channels (a 3-D array)."""
    import numpy as np
    raw = read_capped(path, display, "a matrix file")
    if b"\0" in raw:
        raise ProblemError("is a binary file, expected rows of numbers as text", display)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError("is not UTF-8 text, expected rows of numbers", display) from None
    use_float = len(raw) > 200_000          # the same numbers, read faster (as float64)
    read = parse_float if use_float else parse_number
    blocks: list[list] = [[]]
    block_lines: list[int] = [0]
    width = None
    width_line = 0
    count = 0
    # Lines end at \n (and \r\n) only: str.splitlines() also ends them at U+2028, U+0085,
    # \x0b, \x0c and \x1c-\x1e, which would end a comment and read the rest as numbers.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            line = line[:-1]
        content = line.split("#", 1)[0]
        if not content.strip(" \t"):
            if line.strip(" \t") == "" and blocks[-1]:
                blocks.append([])
                block_lines.append(lineno)
            continue
        row = []
        for m in _TOKEN.finditer(content):     # numbers are separated by spaces, tabs, commas
            tok = m.group(0)
            try:
                row.append(read(tok))
            except ValueError as e:
                raise ProblemError(str(e), display, lineno, m.start() + 1) from None
        count += len(row)
        if count > MAX_NUMBERS:
            raise ProblemError(f"more than {MAX_NUMBERS:,} numbers: too large", display, lineno)
        if width is None:
            width, width_line = len(row), lineno
        elif len(row) != width:
            raise ProblemError(f"ragged matrix: this row has {len(row)} number{'s' if len(row) != 1 else ''}, "
                               f"line {width_line} has {width}", display, lineno, 1)
        blocks[-1].append(row)
    blocks = [b for b in blocks if b]
    if not blocks:
        raise ProblemError("is empty, expected rows of numbers", display)
    heights = {len(b) for b in blocks}
    if len(heights) > 1:
        raise ProblemError(f"channels differ in height: {sorted(len(b) for b in blocks)} rows",
                           display)
    if use_float:
        arr = np.array(blocks, dtype=np.float64)
    else:
        arr = np.stack([_object_array(b) for b in blocks])
    return arr[0] if len(blocks) == 1 else arr


def _read_npy(path: str, display: str):
    import numpy as np
    fmt = np.lib.format   # NumPy 2 keeps only the public per-version readers
    with open_regular(path, display, "a .npy file") as fh:
        try:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, _fortran, dtype = fmt.read_array_header_1_0(fh)
            else:
                shape, _fortran, dtype = fmt.read_array_header_2_0(fh)
        except (ValueError, OSError, EOFError) as e:
            raise ProblemError(f"is not a valid .npy file ({e})", display) from None
        # numpy checks only that the sizes are ints, and True is one
        if not isinstance(shape, tuple) or any(type(n) is not int or n < 0 for n in shape):
            raise ProblemError(f"is not a valid .npy file (its header gives the shape "
                               f"{shape!r}, expected whole numbers)", display)
        size = 1
        for n in shape:
            size *= n
        if size > MAX_NUMBERS:
            raise ProblemError(f"holds {size:,} numbers (shape {'×'.join(map(str, shape))}), "
                               f"more than the limit of {MAX_NUMBERS:,}", display)
        if dtype.kind not in "iufb":
            raise ProblemError(f"holds {dtype} values, expected numbers", display)
        if size == 0:
            raise ProblemError(f"is empty (shape {'×'.join(map(str, shape))}), expected numbers",
                               display)
        try:
            fh.seek(0)
            raw = fmt.read_array(fh, allow_pickle=False)
        except (ValueError, OSError, EOFError):
            raise ProblemError(f"is cut short or damaged: its header announces shape "
                               f"{'×'.join(map(str, shape))}, the data is not all there",
                               display) from None
    if raw.dtype.kind == "f" and not np.all(np.isfinite(raw)):
        raise ProblemError("holds NaN or infinite values, expected finite numbers", display)
    if raw.dtype.kind == "f" and raw.dtype.itemsize > 8 and \
            np.any(np.abs(raw) > np.finfo(np.float64).max):
        raise ProblemError(f"holds {raw.dtype} values beyond ±1.8e308, the range of float64 "
                           f"that nnsolve computes in", display)
    return raw.astype(np.float64)


def read_matrix_file(path: str, display: str | None = None):
    """Read a matrix file: object array of Fractions for text, float64 for .npy (and large text);
    '-' reads matrix text from standard input."""
    if path == "-":
        return _read_text(path, display or "<stdin>")
    display = display or path
    if path.lower().endswith(".npy"):
        return _read_npy(path, display)
    return _read_text(path, display)
