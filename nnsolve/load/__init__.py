"""Loading problems: YAML files (with positions), matrix files, and dispatch by `kind`."""

from __future__ import annotations

from ..kinds import KINDS, spec_module
from .yamldoc import Doc, load_doc


def problem_kind(doc: Doc, expected: str | None = None) -> str:
    """The problem's kind: its `kind:` field, else `sheet` for a file with `problems:`, else the
    command's."""
    kd = doc.get("kind")
    if kd is None and is_sheet(doc):
        if expected is not None and expected != "sheet":
            raise doc.child_key("problems").error(
                f"this is a sheet (it has `problems:`), not a {expected} problem; solve it "
                f"with `nnsolve solve`")
        return "sheet"
    if kd is None:
        if expected is None:
            raise doc.error("missing field `kind` (one of: " + ", ".join(KINDS) + ", sheet)")
        return expected
    kind = kd.text(list(KINDS) + ["sheet"], what="kind")
    if expected is not None and kind != expected:
        raise kd.error(f"this is a {kind} problem; solve it with `nnsolve {kind}` or "
                       f"`nnsolve solve`")
    return kind


def is_sheet(doc: Doc) -> bool:
    """A sheet: `kind: sheet`, or no `kind` and a `problems:` field (SPEC: `kind: sheet` is
    optional)."""
    if not doc.is_map:
        return False
    kd = doc.get("kind")
    if kd is not None:
        return kd.is_scalar and str(kd.node.value) == "sheet"
    return doc.has("problems")


def parse_problem(doc: Doc, expected: str | None = None):
    """A problem spec from a composed document."""
    kind = problem_kind(doc, expected)
    if kind == "sheet":
        from .sheet import parse_sheet
        return parse_sheet(doc)
    return spec_module(kind).parse(doc)


def load_problem(source, kind: str | None = None):
    """Read a problem file (a path, or '-' for standard input) into its spec."""
    return parse_problem(load_doc(source), kind)


STRING = "<string>"     # how errors name a problem given as YAML text
DICT = "<dict>"         # ... and as a dict (which has no lines: errors name the field alone)


def problem_from(problem, kind: str | None = None):
    """A problem spec from what a library user has: a path (str or os.PathLike), YAML text (a
    str holding a newline, or a flow mapping ``{...}``), a dict (or any mapping, with lists,
    numbers, numpy arrays, Fractions) or a problem spec already loaded, returned as it is.

    Errors are ProblemErrors as for files: YAML text is named ``<string>`` with its lines; a
    dict is named ``<dict>`` and its errors carry the field but no line or column."""
    import os
    from collections.abc import Mapping
    from .yamldoc import doc_from_text
    if isinstance(problem, os.PathLike):
        return load_problem(os.fspath(problem), kind)
    if isinstance(problem, str):
        if "\n" in problem or problem.lstrip().startswith("{"):
            return parse_problem(doc_from_text(problem, STRING), kind)
        return load_problem(problem, kind)
    if isinstance(problem, Mapping):
        import yaml
        from ..errors import ProblemError
        try:
            text = yaml.safe_dump(_plain(problem), sort_keys=False, allow_unicode=True)
        except yaml.YAMLError as e:
            raise ProblemError(f"cannot be read as a problem: {e}", DICT) from None
        try:
            return parse_problem(doc_from_text(text, DICT), kind)
        except ProblemError as e:
            if e.path == DICT:      # the lines of the YAML text made from the dict mean nothing
                e.line = e.col = None
            raise
    if hasattr(problem, "kind"):
        return problem
    raise TypeError(f"expected a problem: a path, YAML text, a dict or a loaded problem, got "
                    f"{type(problem).__name__}")


def _plain(x):
    """A user's dict in the types YAML writes: numpy arrays and scalars as lists and numbers,
    Fractions as their text ("1/3", which problems accept)."""
    from fractions import Fraction
    if isinstance(x, dict) or hasattr(x, "items") and hasattr(x, "keys"):
        return {(k if isinstance(k, (str, int, float, bool)) or k is None else str(k)): _plain(v)
                for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, Fraction):
        return str(x) if x.denominator != 1 else x.numerator
    tolist = getattr(x, "tolist", None)         # numpy arrays and scalars (np.float64 is a float)
    if tolist is not None and not isinstance(x, (str, bool, int)):
        return _plain(tolist())
    if isinstance(x, (str, bool, int, float)) or x is None:
        return x
    import numbers
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return str(x) if not isinstance(x, float) else x    # Decimal: its exact text
    return x
