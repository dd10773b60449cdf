"""Reading a YAML problem with positions: every value knows its file, line, column and field path.

Problem files are composed (never constructed) with PyYAML's safe loader, so no tag can build an
object; aliases stay shared nodes and sizes are counted on the node graph before anything is
expanded, so a file of nested aliases cannot blow up memory.
"""

from __future__ import annotations

import difflib
import os
from fractions import Fraction
from typing import Iterable

from ..errors import ProblemError
from ..numbers import parse_number
from .arrays import (MATRIX_SUFFIXES, MAX_NUMBERS, MAX_TEXT_BYTES, not_regular, read_capped,
                     read_matrix_file, within_cap)

_STD_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
STR_TAG = "tag:yaml.org,2002:str"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"

# Values written in YAML, aliases expanded, in a problem or a whole sheet: each is parsed as an
# exact number (about 10 µs each, all told), so a million would take seconds; large matrices
# come from .npy or .txt files, which count against MAX_NUMBERS.
MAX_INLINE = 200_000
MAX_DEPTH = 20          # lists and mappings inside one another: a sheet's 4-D conv kernels take 7
_SAFE_TO_COMPOSE = 1000  # libyaml composes recursively in C (it crashes near 25,000 levels)


def _yaml():
    import yaml
    return yaml


def describe(node) -> str:
    """What a node is, in a user's words: 'a list', 'the text "abc"', 'true'."""
    yaml = _yaml()
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing (null)"
    if node.tag == BOOL_TAG:
        return node.value
    if node.tag in (INT_TAG, FLOAT_TAG):
        return node.value
    return f'the text "{node.value}"'


def suggest(value: str, choices) -> str | None:
    """The choice a mistyped name was meant to be: the same letters in another case (`MSE` for
    `mse`, `ReLU` for `relu`), else the closest spelling; None when nothing is close."""
    choices = list(choices)
    same = [c for c in choices if c.casefold() == value.casefold()]
    if same:
        return same[0]
    folded = {c.casefold(): c for c in choices}
    near = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[near[0]] if near else None


class Doc:
    """One node of a problem file, with its position and the path of fields that leads to it."""

    def __init__(self, node, path: str, field: str = "", base_dir: str = ".", budget=None):
        self.node = node
        self.path = path
        self.field = field
        self.base_dir = base_dir
        self._budget = budget if budget is not None else {}

    # --- where and what -------------------------------------------------------------------
    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    @property
    def col(self) -> int:
        return self.node.start_mark.column + 1

    def error(self, message: str, field: str | None = None) -> ProblemError:
        """A ProblemError at this node (raise it)."""
        return ProblemError(message, self.path, self.line, self.col,
                            self.field if field is None else field)

    def _child(self, node, name) -> "Doc":
        if isinstance(name, int):
            field = f"{self.field}[{name}]"
        else:
            field = f"{self.field}.{name}" if self.field else str(name)
        return Doc(node, self.path, field, self.base_dir, self._budget)

    @property
    def budget(self) -> dict:
        """What the problem (or the whole sheet) has read so far, shared by all its fields."""
        return self._budget

    @property
    def is_map(self) -> bool:
        return isinstance(self.node, _yaml().MappingNode)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.node, _yaml().SequenceNode)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.node, _yaml().ScalarNode)

    @property
    def is_null(self) -> bool:
        return self.is_scalar and self.node.tag == NULL_TAG

    # --- mappings -------------------------------------------------------------------------
    def _pairs(self):
        if not self.is_map:
            raise self.error(f"expected a mapping of fields, got {describe(self.node)}")
        return self.node.value

    def keys(self, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        """Refuse unknown (with a suggestion), duplicate and missing keys."""
        allowed = list(allowed)
        seen = {}
        for knode, _v in self._pairs():
            key = knode.value if isinstance(knode, _yaml().ScalarNode) else None
            kdoc = Doc(knode, self.path, self.field, self.base_dir, self._budget)
            if key is None:
                raise kdoc.error("expected a field name, got " + describe(knode))
            name = f"{self.field}.{key}" if self.field else key
            if key in seen:
                raise kdoc.error(f"duplicate field (first given on line {seen[key]})", name)
            seen[key] = knode.start_mark.line + 1
            if key not in allowed:
                near = suggest(key, allowed)
                hint = f"; did you mean `{near}`?" if near else \
                    f"; expected one of: {', '.join(allowed)}"
                raise kdoc.error(f"unknown field{hint}", name)
        for key in required:
            if key not in seen:
                raise self.error(f"missing field `{key}`")

    def child_key(self, key: str) -> "Doc":
        """The key node of a field (for an error about the field as a whole)."""
        for k, _v in self._pairs():
            if getattr(k, "value", None) == key:
                name = f"{self.field}.{key}" if self.field else key
                return Doc(k, self.path, name, self.base_dir, self._budget)
        raise self.error(f"missing field `{key}`")

    def has(self, key: str) -> bool:
        """True when the mapping has this key."""
        return any(k.value == key for k, _ in self._pairs())

    def get(self, key: str) -> "Doc | None":
        """The field's node, or None when it is absent (or null)."""
        for k, v in self._pairs():
            if getattr(k, "value", None) == key:
                d = self._child(v, key)
                return None if d.is_null else d
        return None

    def __getitem__(self, key: str) -> "Doc":
        d = self.get(key)
        if d is None:
            if self.has(key):
                raise self._child(next(v for k, v in self._pairs() if k.value == key), key) \
                    .error("has no value")
            raise self.error(f"missing field `{key}`")
        return d

    def entries(self) -> list[tuple[str, "Doc", "Doc"]]:
        """A mapping whose keys are the user's own names (a graph's inputs and nodes), in file
        order: each name with the Docs of its key and of its value."""
        out = []
        for knode, vnode in self._pairs():
            name = str(getattr(knode, "value", ""))
            out.append((name, self._child(knode, name), self._child(vnode, name)))
        return out

    def field_names(self) -> list[str]:
        """The keys of a mapping, in file order."""
        return [k.value for k, _ in self._pairs()]

    # --- sequences ------------------------------------------------------------------------
    def items(self) -> list["Doc"]:
        """The items of a list."""
        if not self.is_seq:
            raise self.error(f"expected a list, got {describe(self.node)}")
        return [self._child(n, i) for i, n in enumerate(self.node.value)]

    # --- scalars --------------------------------------------------------------------------
    def text(self, choices: Iterable[str] | None = None, what: str = "a name") -> str:
        """A string (any scalar's text), optionally one of ``choices`` (with a suggestion)."""
        if not self.is_scalar or self.is_null:
            raise self.error(f"expected {what}, got {describe(self.node)}")
        value = str(self.node.value)
        if choices is not None:
            choices = list(choices)
            if value not in choices:
                near = suggest(value, choices)
                hint = f"; did you mean `{near}`?" if near else ""
                raise self.error(f"unknown {what} `{value}`; expected one of: "
                                 f"{', '.join(choices)}{hint}")
        return value

    def number(self, *, positive: bool = False, nonnegative: bool = False,
               integer: bool = False, what: str = "a number") -> Fraction:
        """An exact number read from the scalar's text."""
        node = self.node
        if not self.is_scalar or node.tag in (NULL_TAG, BOOL_TAG):
            raise self.error(f"expected {what}, got {describe(node)}")
        try:
            x = parse_number(str(node.value))
        except ValueError as e:
            raise self.error(str(e).replace("a number", what, 1)) from None
        if integer and x.denominator != 1:
            raise self.error(f"expected a whole number, got {node.value}")
        if positive and x <= 0:
            raise self.error(f"expected {what} > 0, got {node.value}")
        if nonnegative and x < 0:
            raise self.error(f"expected {what} ≥ 0, got {node.value}")
        return x

    def integer(self, *, positive: bool = False, nonnegative: bool = False,
                what: str = "a whole number") -> int:
        """A whole number."""
        x = self.number(positive=positive, nonnegative=nonnegative, integer=True, what=what)
        return int(x)

    def boolean(self) -> bool:
        """true or false."""
        if not self.is_scalar or self.node.tag != BOOL_TAG:
            raise self.error(f"expected true or false, got {describe(self.node)}")
        return self.node.value.lower() in ("true", "yes", "on", "y")

    # --- arrays ---------------------------------------------------------------------------
    def _count(self, node, memo) -> int:
        """How many numbers a node expands to, counted on the shared node graph."""
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = 0
        if isinstance(node, _yaml().SequenceNode):
            n = 0
            for child in node.value:
                n += self._count(child, memo)
                if n > MAX_NUMBERS:
                    break
        else:
            n = 1
        memo[key] = n
        return n

    def array(self, ndims: Iterable[int] = (1, 2), what: str = "a matrix"):
        """A vector/matrix/tensor given inline (nested lists) or as a file name beside the problem.

        Returns a numpy array: object dtype of Fractions (read exactly) or float64 (.npy files,
        large text files). A scalar is a 0-d array when 0 is in ``ndims``."""
        import numpy as np
        ndims = tuple(ndims)
        node = self.node
        if self.is_scalar and node.tag == STR_TAG and \
                str(node.value).lower().endswith(MATRIX_SUFFIXES):
            arr = self._from_file(str(node.value))
        elif self.is_seq:
            if self._count(node, {}) > MAX_NUMBERS:
                raise self.error(f"more than {MAX_NUMBERS:,} numbers: too large a problem")
            arr = self._nested(self)
        elif self.is_scalar and 0 in ndims:
            arr = np.empty((), dtype=object)
            arr[()] = self.number()
            return arr
        else:
            raise self.error(f"expected {what}: a list of numbers, nested lists, or a "
                             f"file name ending in .npy, .txt or .csv; got {describe(node)}")
        if arr.ndim not in ndims:
            want = " or ".join(_NDIM_WORDS.get(n, f"{n}-D") for n in ndims)
            raise self.error(f"expected {want}, got {_NDIM_WORDS.get(arr.ndim, f'{arr.ndim}-D')}"
                             f" of shape {'×'.join(map(str, arr.shape))}")
        if arr.size == 0:
            raise self.error(f"expected {what}, got an empty one")
        return arr

    def beside(self, name: str) -> tuple[str, str]:
        """A file named in this field, relative to the problem file: (path to open, path to show).

        Raises the field's error when there is no such file."""
        full = name if os.path.isabs(name) else os.path.join(self.base_dir, name)
        display = name if self.path in ("<stdin>", "<options>") else \
            os.path.join(os.path.dirname(self.path), name)
        try:
            mode = os.stat(full).st_mode
        except FileNotFoundError:
            raise self.error(f"file {name} not found (looked in "
                             f"{os.path.abspath(self.base_dir)})") from None
        except OSError as e:
            raise self.error(f"file {name} cannot be read ({e.strerror})") from None
        kind = not_regular(mode)
        if kind is not None:    # named here, at this field: reading it would fail or block
            raise self.error(f"{name} is {kind}, expected a file")
        return full, display

    def _from_file(self, name: str):
        full, display = self.beside(name)
        used = self._budget.get("numbers", 0)
        try:
            arr = read_matrix_file(full, display, before=used)
        except ProblemError as e:   # positioned in the matrix file; name the field that chose it
            if e.field is None:
                e.field = self.field
            raise
        self._budget["numbers"] = used + arr.size
        return arr

    def _nested(self, doc: "Doc"):
        """Nested lists of numbers → rectangular object array; ragged rows are named."""
        import numpy as np
        if not doc.is_seq:
            return doc.number()
        row = _number_row(doc.node)
        if row is not None:
            return row
        items = doc.items()
        if not items:
            raise doc.error("expected numbers, got an empty list")
        parts = [self._nested(it) for it in items]
        first = parts[0]
        shape0 = getattr(first, "shape", ())
        for it, p in zip(items, parts):
            shape = getattr(p, "shape", ())
            if shape != shape0:
                raise it.error(f"ragged matrix: this row has {_words(shape)}, "
                               f"the first (line {items[0].line}) has {_words(shape0)}")
        arr = np.empty((len(parts),) + shape0, dtype=object)
        for i, p in enumerate(parts):
            arr[i] = p
        return arr


def _number_row(node):
    """A list of plain numbers as a 1-D object array of Fractions, read without a Doc per number;
    None when any item is not a number (the caller then names the wrong one)."""
    import numpy as np
    yaml = _yaml()
    values = node.value
    if not values:
        return None
    out = np.empty(len(values), dtype=object)
    try:
        for i, child in enumerate(values):
            if type(child) is not yaml.ScalarNode or child.tag in (NULL_TAG, BOOL_TAG):
                return None
            out[i] = parse_number(str(child.value))
    except ValueError:
        return None
    return out


def _words(shape) -> str:
    if shape == ():
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} number" + ("s" if shape[0] != 1 else "")
    return "rows of shape " + "×".join(map(str, shape))


_NDIM_WORDS = {0: "a number", 1: "a vector (a list of numbers)",
               2: "a matrix (a list of rows)", 3: "a 3-D array (a list of matrices)"}


def _read_text(source, display: str | None = None) -> tuple[str, str]:
    """The text of a problem file (or '-' for stdin), refusing directories, binary and empty files."""
    import sys
    if source == "-":
        display = "<stdin>"
        data = within_cap(sys.stdin.buffer.read(MAX_TEXT_BYTES + 1), display)
    else:
        display = display or str(source)
        if os.path.isdir(source):
            raise ProblemError("is a directory, expected a YAML problem file", display)
        data = read_capped(source, display, "a YAML problem file")
    if b"\0" in data:
        raise ProblemError("is a binary file, expected a YAML problem (text)", display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ProblemError(f"is not UTF-8 text (byte {e.start})", display) from None
    return text, display


def load_doc(source, display: str | None = None, budget: dict | None = None) -> Doc:
    """Compose a YAML problem file (a path or '-') into a root Doc, refusing tags and empty files;
    ``display`` is how messages name the file (by default, as given); ``budget`` is shared by
    the files of one sheet (the numbers of them all count against the limits)."""
    text, display = _read_text(source, display)
    base_dir = "." if source == "-" else (os.path.dirname(os.path.abspath(source)) or ".")
    return doc_from_text(text, display, base_dir, budget)


def doc_from_text(text: str, display: str, base_dir: str = ".", budget: dict | None = None) -> Doc:
    """A root Doc from YAML text; refused when it expands to more than MAX_INLINE values."""
    yaml = _yaml()
    if not text.strip() or all(l.strip() == "" or l.lstrip().startswith("#")
                                for l in text.splitlines()):
        raise ProblemError("is empty, expected a YAML problem", display)
    try:
        nodes = _compose(yaml, text, display)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "invalid YAML"
        if mark is not None:
            raise ProblemError(f"invalid YAML: {what}", display, mark.line + 1,
                               mark.column + 1) from None
        raise ProblemError(f"invalid YAML: {what}", display) from None
    except yaml.YAMLError as e:
        raise ProblemError(f"invalid YAML: {e}", display) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise ProblemError("is empty, expected a YAML problem", display)
    if len(nodes) > 1:
        raise ProblemError("holds several YAML documents (---); expected one problem", display,
                           nodes[1].start_mark.line + 1, 1)
    expanded = _check_tags(nodes[0], display)
    budget = budget if budget is not None else {}
    budget["inline"] = budget.get("inline", 0) + expanded
    if budget["inline"] > MAX_INLINE:
        whole = "" if expanded > MAX_INLINE else " in this file and the sheet's files before it"
        raise ProblemError(f"too large: more than {MAX_INLINE:,} values written in YAML{whole} "
                           f"(aliases expanded); give large matrices as .npy or .txt files",
                           display, nodes[0].start_mark.line + 1, nodes[0].start_mark.column + 1)
    root = Doc(nodes[0], display, "", base_dir, budget)
    if not root.is_map:
        raise root.error(f"expected a problem (a mapping of fields such as `kind:`), got "
                         f"{describe(root.node)}")
    return root


LOADER_ENV = "NNSOLVE_YAML_LOADER"   # `pure`: compose with PyYAML's pure-Python loader only


def yaml_loaders(yaml=None) -> list:
    """The loaders that compose a problem, fastest first: libyaml's CSafeLoader when PyYAML has it
    (and NNSOLVE_YAML_LOADER is not `pure`), then the pure-Python SafeLoader, whose messages are
    the ones nnsolve reports."""
    yaml = yaml or _yaml()
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None or os.environ.get(LOADER_ENV, "").strip().lower() in ("pure", "python"):
        return [yaml.SafeLoader]
    return [fast, yaml.SafeLoader]


def _compose(yaml, text: str, display: str) -> list:
    """The YAML documents as nodes: by libyaml when PyYAML has it (several times faster on large
    inline matrices), else, or when the text is not valid YAML, by the pure-Python loader.

    Both compose recursively (libyaml in C, where a deep enough nesting crashes the process;
    PyYAML in Python, up to the recursion limit), so a text that could nest deeply is first
    measured on the parser's event stream, which is flat. libyaml (0.2.5 and later) stops a deep
    flow nesting with its own error before it gives any event; the pure-Python parser has no
    such limit, so the depth is then measured there, and the error keeps its line and column."""
    loaders = yaml_loaders(yaml)
    if _nesting_bound(text) > _SAFE_TO_COMPOSE:
        for loader in loaders:
            if _check_depth(yaml, text, display, loader):
                break
    for loader in loaders[:-1]:
        try:
            return list(yaml.compose_all(text, Loader=loader))
        except yaml.YAMLError:
            pass
    try:
        return list(yaml.compose_all(text, Loader=loaders[-1]))
    except RecursionError:
        _check_depth(yaml, text, display, loaders[-1])
        raise ProblemError(f"nested deeper than {MAX_DEPTH} levels", display) from None


def _nesting_bound(text: str) -> int:
    """At least the depth of the deepest nesting: each list or mapping starts with one of these
    indicators (a block list's `-` is followed by a space or a line end, unlike a minus sign)."""
    return (text.count("[") + text.count("{") + text.count(":") + text.count("?")
            + text.count("- ") + text.count("-\n") + text.count("-\t") + text.endswith("-"))


def _check_depth(yaml, text: str, display: str, loader) -> bool:
    """Refuse nesting deeper than MAX_DEPTH, read from the parser's events (no recursion).
    True when this parser read the whole text (no deeper nesting); False when it stopped at a
    syntax error (or at its own nesting limit), left for the next parser or the composer."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(event, display)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    return True


def _too_deep(node, display: str) -> ProblemError:
    return ProblemError(f"nested deeper than {MAX_DEPTH} levels (lists or mappings inside one "
                        f"another)", display, node.start_mark.line + 1,
                        node.start_mark.column + 1)


def _check_tags(root, display: str) -> None:
    """Refuse tags that are not plain YAML data (``!!python/object`` and the like), and lists or
    mappings nested deeper than MAX_DEPTH once aliases are expanded (an alias inside its own
    anchor nests without end), so the recursive walks that follow stay shallow. The walk keeps
    its own stack and measures each shared node once."""
    yaml = _yaml()
    height: dict[int, int] = {}     # finished nodes: the levels of lists and mappings they hold
    size: dict[int, int] = {}       # finished nodes: the scalars they expand to, aliases expanded
    open_nodes: set[int] = set()    # nodes whose children are being measured
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            kids = _children(yaml, node)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            size[key] = sum(size[id(k)] for k in kids)
            if height[key] > MAX_DEPTH:
                raise _too_deep(_first_too_deep(yaml, root), display)
            continue
        if key in height:
            continue
        if key in open_nodes:
            raise ProblemError("an alias inside its own anchor: the list or mapping would hold "
                               "itself without end", display, node.start_mark.line + 1,
                               node.start_mark.column + 1)
        if node.tag not in _STD_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
            raise ProblemError(f"the tag {tag} is not allowed; problems are plain data",
                               display, node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            height[key] = 0
            size[key] = 1
            continue
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in reversed(_children(yaml, node)))
    return size[id(root)]


def _first_too_deep(yaml, root):
    """The first list or mapping, in file order, that opens level MAX_DEPTH + 1 (the root being
    level 1, aliases expanded): where the nesting first exceeds the limit, the node the parser's
    events name too, so the position does not depend on which of the two measured the depth.
    A node reached again no deeper than before is not walked again (no expansion of shared
    nodes: each is walked at most MAX_DEPTH times)."""
    deepest: dict[int, int] = {}    # nodes walked: the deepest level they were walked at
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            return node
        if deepest.get(id(node), 0) >= level:
            continue
        deepest[id(node)] = level
        stack.extend((k, level + 1) for k in reversed(_children(yaml, node))
                     if not isinstance(k, yaml.ScalarNode))
    raise AssertionError("no list or mapping deeper than MAX_DEPTH")


def _children(yaml, node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
