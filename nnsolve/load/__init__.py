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
