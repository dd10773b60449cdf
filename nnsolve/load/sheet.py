"""A sheet: a title and a list of problems, each given inline (with `kind`) or as `{file: ...}`."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ProblemError
from .yamldoc import Doc, load_doc

FIELDS = ["kind", "title", "problems"]


@dataclass
class SheetProblem:
    """A sheet: its title and its problems' specs, in order (solve_sheet makes one Solution)."""

    title: str | None
    problems: list = field(default_factory=list)   # problem specs, in the sheet's order
    titles: list = field(default_factory=list)     # per problem: a title given in the sheet, or None
    kind: str = "sheet"


def parse_sheet(doc: Doc) -> SheetProblem:
    """Read a sheet: each item of `problems` is a problem (with `kind`) or `{file: x.yaml}`."""
    doc.keys(FIELDS, required=["problems"])
    title = doc["title"].text(what="a title") if doc.get("title") is not None else None
    items = doc["problems"].items()
    if not items:
        raise doc["problems"].error("expected at least one problem")
    sheet = SheetProblem(title)
    for item in items:
        if not item.is_map:
            raise item.error("expected a problem (a mapping with `kind:`) or `{file: other.yaml}`")
        if item.has("file"):
            item.keys(["file", "title"], required=["file"])
            spec = _from_file(item["file"])
        else:
            spec = _inline(item)
        sheet.problems.append(spec)
        sheet.titles.append(item["title"].text(what="a title")
                            if item.has("file") and item.get("title") is not None else None)
    return sheet


def _inline(item: Doc):
    from . import is_sheet, parse_problem
    if item.get("kind") is None and is_sheet(item):
        raise item.child_key("problems").error("a sheet's problems cannot be sheets")
    if item.get("kind") is None:
        raise item.error("missing field `kind` (or `file:` naming a problem file)")
    if item["kind"].text(what="a kind") == "sheet":
        raise item["kind"].error("a sheet's problems cannot be sheets")
    return parse_problem(item)


def _from_file(fdoc: Doc):
    """The problem in a file named relative to the sheet."""
    from . import is_sheet, parse_problem
    name = fdoc.text(what="a file name")
    full, display = fdoc.beside(name)
    try:
        sub = load_doc(full, display)
    except ProblemError as e:       # about the named file: name the field that chose it
        if e.field is None:
            e.field = fdoc.field
        raise
    if is_sheet(sub):
        raise fdoc.error(f"{name} is a sheet; a sheet's problems cannot be sheets")
    return parse_problem(sub)
