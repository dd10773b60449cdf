"""Grading claimed answers against the computed solution, and naming the likely mistake.

An answers file names a problem (relative to itself) and holds a partial copy of that problem's
JSON output (backprop: of the first step, with ``layers`` keyed by their 1-based number). Each
claimed value is compared with the right one within a tolerance (right when within the absolute
*or* the relative tolerance). A wrong value is then compared with the same problem solved with a
known mistake injected (the factor 2 of the squared loss dropped, the ReLU gate ignored, η ten
times too large, the kernel flipped, the padding forgotten, ...): when the claimed value is what
the mistake gives, that mistake is named.

``load_answers`` reads a file, ``grade`` compares, ``report`` builds the Solution (kind
``check``) whose ``data`` is the JSON of the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import NnsolveError, internal_error
from .expr import Mat, Num
from .grading import (DEFAULT_TOLERANCE, ETA_MISTAKES, MISSING, Indexed, Tolerance, agrees,
                      describe, field_name, fit, get_path, right_tree)
from .kinds import mistakes_module
from .solution import Note, Paragraph, Section, Solution, Table

__all__ = ["Tolerance", "DEFAULT_TOLERANCE", "Answers", "FieldResult", "FileReport",
           "load_answers", "grade", "report", "Ungraded", "grade_files",
           "check_files", "gradebook", "gradebook_csv", "gradebook_json"]

ANSWERS_FIELDS = ["kind", "student", "problem", "tolerance", "answers"]


# --- reading an answers file ------------------------------------------------------------------

@dataclass
class Claim:
    """One claimed value: where it is in the answers (path of keys) and in the file."""

    path: tuple
    value: Any            # numpy object array, str or None
    line: int


@dataclass
class Answers:
    """An answers file read and checked against its problem's solution."""

    path: str
    student: str
    problem_path: str
    problem: Any
    solution: Any
    right: dict           # the solution's JSON as a tree (numbers exact), layers keyed 1..n
    tolerance: Tolerance
    claims: list


def _sub(doc, node, key):
    from .load.yamldoc import Doc
    fld = f"{doc.field}.{key}" if doc.field else str(key)
    return Doc(node, doc.path, fld, doc.base_dir)


def _read_claims(doc, right, path: tuple, out: list) -> None:
    """Walk the claimed answers beside the right values; unknown keys are errors."""
    if isinstance(right, Indexed):
        _read_indexed(doc, right, path, out)
        return
    if isinstance(right, dict):
        numbered = bool(right) and all(isinstance(k, int) for k in right)
        if numbered and doc.is_map:
            for knode, _v in doc.node.value:
                k = str(getattr(knode, "value", ""))
                # str.isdigit() is true for '²' and '٣', which int() refuses
                if not (k.isascii() and k.isdigit() and len(k) <= 9) or int(k) not in right:
                    kdoc = _sub(doc, knode, k)
                    raise kdoc.error(f"no {path[-1].rstrip('s') if path else 'item'} {k}: "
                                     f"expected a number from 1 to {len(right)}")
        doc.keys([str(k) for k in right])
        for knode, vnode in doc.node.value:
            key = int(knode.value) if numbered else knode.value
            _read_claims(_sub(doc, vnode, knode.value), right[key], path + (key,), out)
        return
    if doc.is_null:
        value = None
    elif isinstance(right, str):
        value = doc.text(what="a name")
    elif right is None:
        raise doc.error("this problem has no value here (it is null in the JSON output)")
    else:
        value = doc.array(ndims=(0, 1, 2, 3, 4), what="a number or a matrix")
    out.append(Claim(path, value, doc.line))


def _read_indexed(doc, right: dict, path: tuple, out: list) -> None:
    """Windows: keyed by their 0-based index in the JSON list, or claimed as the whole list."""
    what = path[-1].rstrip("s") if path else "item"
    if doc.is_seq:
        items = doc.items()
        if len(items) != len(right):
            raise doc.error(f"expected the whole list of {len(right)} {what}s (or a mapping "
                            f"from 0-based index to {what}), got {len(items)}")
        for i, it in enumerate(items):
            _read_claims(it, right[i], path + (i,), out)
        return
    if not doc.is_map:
        raise doc.error(f"expected the list of {what}s, or a mapping from their 0-based "
                        f"index (0 to {len(right) - 1}) to what you claim")
    for knode, vnode in doc.node.value:
        k = str(getattr(knode, "value", ""))
        if not k.isdigit() or int(k) not in right:
            raise _sub(doc, knode, k).error(f"no {what} {k}: expected a 0-based index from 0 "
                                            f"to {len(right) - 1}")
        _read_claims(_sub(doc, vnode, k), right[int(k)], path + (int(k),), out)


def _tolerance(doc) -> Tolerance:
    if doc.is_scalar:
        t = doc.number(nonnegative=True, what="a tolerance")
        return Tolerance(t, t)
    doc.keys(["abs", "rel"])
    a = doc["abs"].number(nonnegative=True, what="a tolerance") if doc.get("abs") is not None \
        else DEFAULT_TOLERANCE.abs
    r = doc["rel"].number(nonnegative=True, what="a tolerance") if doc.get("rel") is not None \
        else DEFAULT_TOLERANCE.rel
    return Tolerance(a, r)


def load_answers(source: str, tolerance: Tolerance | None = None,
                 problems: dict | None = None) -> Answers:
    """Read an answers file, load and solve its problem, and read every claim against it.

    ``tolerance`` (from the command line) overrides the file's. ``problems`` (a class run's)
    keeps each problem file loaded and solved once, however many answers files name it."""
    from .load import load_problem
    from .load.yamldoc import load_doc
    from .solve import SolveOptions, solve
    doc = load_doc(source)
    kd = doc.get("kind")
    from .kinds import KINDS
    if kd is not None and kd.is_scalar and str(kd.node.value) in (*KINDS, "sheet"):
        raise kd.error(f"this is a {kd.node.value} problem, not an answers file; solve it with "
                       f"`nnsolve solve`, or grade answers to it with an answers file whose "
                       f"`problem:` names it")
    if kd is None and doc.has("problems") and not doc.has("answers"):
        raise doc.child_key("problems").error(
            "this is a sheet (it has `problems:`), not an answers file; solve it with "
            "`nnsolve solve`; an answers file grades one problem")
    doc.keys(ANSWERS_FIELDS, required=["problem", "answers"])
    if doc.get("kind") is not None:
        doc["kind"].text(["answers"], what="kind (an answers file has `kind: answers`)")
    student = doc["student"].text(what="a name") if doc.get("student") is not None else \
        os.path.splitext(os.path.basename(str(source)))[0]
    pdoc = doc["problem"]
    rel = pdoc.text(what="a problem file name")
    full = rel if os.path.isabs(rel) else os.path.join(doc.base_dir, rel)
    if not os.path.isfile(full):
        raise pdoc.error(f"problem file {rel} not found (looked in "
                         f"{os.path.abspath(doc.base_dir)})")
    display = os.path.normpath(os.path.join(os.path.dirname(str(source)), rel)) \
        if source != "-" else rel
    adoc = doc["answers"]
    # claimed windows are graded even where the solution would leave them out for size
    wants_windows = adoc.is_map and adoc.get("windows") is not None
    key = None
    if problems is not None:
        st = os.stat(full)
        key = (os.path.realpath(full), st.st_mtime_ns, st.st_size, wants_windows)
    if key in (problems or {}):
        problem, solution, right = problems[key]
    else:
        problem = load_problem(full)
        if getattr(problem, "kind", None) == "sheet":
            raise pdoc.error("is a sheet; an answers file grades one problem")
        solution = solve(problem, SolveOptions(detail="full" if wants_windows else None))
        right = right_tree(solution)
        if key is not None:
            problems[key] = (problem, solution, right)
    tol = tolerance or (_tolerance(doc["tolerance"]) if doc.get("tolerance") is not None
                        else DEFAULT_TOLERANCE)
    claims: list = []
    if not adoc.is_map:
        raise adoc.error("expected a mapping: a partial copy of the problem's JSON output")
    _read_claims(adoc, right, (), claims)
    if not claims:
        raise adoc.error("expected at least one claimed value")
    return Answers(str(source), student, display, problem, solution, right, tol, claims)


# --- grading ----------------------------------------------------------------------------------

@dataclass
class FieldResult:
    """One claimed value, graded."""

    path: tuple
    claimed: Any
    right: Any
    correct: bool
    mistakes: list = field(default_factory=list)     # tuples of mistake names, likeliest first
    follows_from: str | None = None                   # a wrong claimed value this one follows from
    follows_with: tuple = ()                          # and the mistake made on top of it, if any

    @property
    def field(self) -> str:
        return field_name(self.path)


@dataclass
class FileReport:
    """One answers file, graded."""

    answers: Answers
    results: list
    earliest: FieldResult | None

    @property
    def n_right(self) -> int:
        return sum(r.correct for r in self.results)

    @property
    def n_wrong(self) -> int:
        return len(self.results) - self.n_right


def _follow_through(ans: Answers, results: dict, r: FieldResult) -> None:
    """A wrong updated weight that is the update of the student's own (wrong) gradient."""
    kind = ans.problem.kind
    if kind == "backprop" and r.path[0] == "layers" and r.path[-1] in ("W_new", "b_new"):
        gpath = r.path[:-1] + ("dJ_dW" if r.path[-1] == "W_new" else "dJ_db",)
        ppath = r.path[:-1] + ("W" if r.path[-1] == "W_new" else "b",)
        eta = ans.problem.learning_rate
    elif kind == "regularize" and r.path == ("weights_new",):
        gpath = ("gradient",) if ans.problem.loss_gradient is not None else \
            ("penalty_gradient",)
        ppath = ("weights",)
        eta = ans.problem.learning_rate
    else:
        return
    g = results.get(gpath)
    if g is None or g.correct or eta is None:
        return
    old = get_path(ans.right, ppath)
    c = fit(g.claimed, get_path(ans.right, gpath)) if not isinstance(g.claimed, str) else None
    if c is None or old is MISSING or old is None:
        return
    for name, f in ((None, Fraction(1)),) + ETA_MISTAKES:
        lr = eta * f
        lr = lr if all(isinstance(x, Fraction) for x in np.asarray(old).ravel()) else float(lr)
        value = np.asarray(old, dtype=object) - lr * c
        if agrees(r.claimed, value, ans.tolerance):
            r.follows_from = g.field
            r.follows_with = (name,) if name else ()
            return


def grade(ans: Answers) -> FileReport:
    """Compare every claim with the right value, and a wrong one with the mistakes' values."""
    kind = ans.problem.kind
    variants = None
    results = []
    read = getattr(mistakes_module(kind), "claimed", None)   # a kind's shorthand (r = 7)
    for claim in ans.claims:
        right = get_path(ans.right, claim.path)
        value_ = read(claim.path, claim.value, right) if read else claim.value
        ok = agrees(value_, right, ans.tolerance)
        r = FieldResult(claim.path, claim.value, right, ok)
        if not ok and not isinstance(right, str) and right is not None:
            if variants is None:
                variants = mistakes_module(kind).variants(ans.problem, ans.right)
            for v in variants:
                value = get_path(v.tree, claim.path)
                if value is MISSING or agrees(value, right, ans.tolerance):
                    continue
                if agrees(value_, value, ans.tolerance):
                    r.mistakes.append(v.mistakes)
            # a mistake added that does not change this value explains nothing more
            r.mistakes = [m for m in r.mistakes
                          if not any(set(o) < set(m) for o in r.mistakes)]
        results.append(r)
    by_path = {r.path: r for r in results}
    for r in results:
        if not r.correct:
            _follow_through(ans, by_path, r)
    results.sort(key=lambda r: mistakes_module(kind).rank(r.path))
    wrong = [r for r in results if not r.correct]
    return FileReport(ans, results, wrong[0] if wrong else None)


# --- the report as a Solution ----------------------------------------------------------------

def _value_expr(v):
    if v is None:
        return "null"
    if isinstance(v, str):
        return v
    a = np.asarray(v, dtype=object)
    if a.size == 1:
        return Num(a.ravel()[0])
    return Mat(a)


def mistake_words(names: tuple) -> str:
    """One or two mistakes together, in words."""
    return ", and ".join(describe(n).text for n in names)


def mistake_short(names: tuple) -> str:
    """One or two mistakes together, in a few words (for tables)."""
    return " + ".join(describe(n).short for n in names)


def _mistake_cell(r: FieldResult) -> str:
    if r.correct:
        return ""
    if r.follows_from:
        extra = f" + {describe(r.follows_with[0]).short}" if r.follows_with else ""
        return f"from your {r.follows_from}{extra}"
    if r.mistakes:
        return mistake_short(r.mistakes[0])
    if isinstance(r.right, str):
        return ""
    if r.claimed is not None and not isinstance(r.claimed, str) and \
            fit(r.claimed, r.right) is None:
        return "not the right shape"
    return "?"


def _mistake_data(names: tuple) -> dict:
    return {"names": list(names), "text": mistake_words(names)}


def file_data(rep: FileReport) -> dict:
    """The JSON of one graded file."""
    ans = rep.answers
    kind = ans.problem.kind
    fields = []
    for r in rep.results:
        fields.append({
            "field": r.field, "stage": mistakes_module(kind).stage(r.path), "claimed": r.claimed,
            "right": r.right, "correct": r.correct,
            "mistake": _mistake_data(r.mistakes[0]) if r.mistakes and not r.correct
            and not r.follows_from else None,
            "also_explained_by": [_mistake_data(m) for m in r.mistakes[1:]],
            "follows_from": r.follows_from,
            "follows_with": _mistake_data(r.follows_with) if r.follows_with else None,
        })
    return {"file": ans.path, "student": ans.student, "problem": ans.problem_path,
            "kind": kind, "tolerance": {"abs": ans.tolerance.abs, "rel": ans.tolerance.rel},
            "right": rep.n_right, "wrong": rep.n_wrong, "total": len(rep.results),
            "all_right": rep.n_wrong == 0,
            "earliest_wrong": rep.earliest.field if rep.earliest else None,
            "fields": fields}


def _later_words(rep: FileReport) -> str:
    """What the later wrong values are, in the table's own terms: a value follows from a wrong
    value of the student only where recomputing from that value gives it; one that the
    earliest's mistake gives too is the same mistake (not a consequence); the others are
    mistakes of their own, or unexplained."""
    e = rep.earliest
    from_it, from_other, same, own, unknown = [], {}, [], [], []
    for r in rep.results:
        if r.correct or r is e:
            continue
        if r.follows_from == e.field:
            from_it.append(r.field)
        elif r.follows_from:
            from_other.setdefault(r.follows_from, []).append(r.field)
        elif r.mistakes and e.mistakes and not e.follows_from and \
                r.mistakes[0] == e.mistakes[0]:
            same.append(r.field)
        elif r.mistakes:
            own.append(r.field)
        else:
            unknown.append(r.field)

    def verb(names, one, many):
        return f" {', '.join(names)} " + (one if len(names) == 1 else many)
    words = ""
    if from_it:
        words += verb(from_it, "follows from it.", "follow from it.")
    if same:
        words += f" The same mistake ({mistake_short(e.mistakes[0])}) gives {', '.join(same)}."
    if own:
        words += verb(own, "is a mistake of its own.", "are mistakes of their own.")
    if unknown:
        words += f" No known mistake explains {', '.join(unknown)}."
    for src, names in from_other.items():
        words += verb(names, f"follows from your {src}.", f"follow from your {src}.")
    return words


def _eta_numbers(ans: Answers, names: tuple) -> list:
    """The learning rate a scaled-η mistake used and the problem's, as note parts."""
    scaled = [f for n, f in ETA_MISTAKES if n in names and n in ("eta_x10", "eta_div10")]
    eta = getattr(ans.problem, "learning_rate", None)
    if not scaled or eta is None or ans.problem.kind not in ("backprop", "regularize"):
        return []
    return [": η = ", Num(eta * scaled[0]), " used where the problem's η = ", Num(eta)]


def _file_section(rep: FileReport, several: bool) -> Section:
    ans = rep.answers
    kind = ans.problem.kind
    title = f"{ans.student}: {ans.problem_path}" if several else f"Answers: {ans.problem_path}"
    sec = Section(title)
    sec.add(Paragraph(f"{ans.path} claims {len(rep.results)} value"
                      f"{'s' if len(rep.results) != 1 else ''} of the {kind} problem "
                      f"{ans.problem_path}; a value is right within ", Num(ans.tolerance.abs),
                      " (absolute) or ", Num(ans.tolerance.rel), " (relative)."))
    rows = []
    for r in rep.results:
        rows.append([r.field, _value_expr(r.claimed), _value_expr(r.right),
                     "right" if r.correct else "WRONG", _mistake_cell(r)])
    sec.add(Table(["Field", "Claimed", "Right value", "Verdict", "Likely mistake"], rows,
                  align=["left", "right", "right", "left", "left"]))
    sec.add(Paragraph(Num(rep.n_right), " of ", Num(len(rep.results)), " right."))
    if rep.earliest is not None:
        e = rep.earliest
        sec.add(Paragraph(f"Earliest wrong step: {e.field} ({mistakes_module(kind).stage(e.path)})."
                          + _later_words(rep)))
        for r in rep.results:
            if r.correct:
                continue
            if r.follows_from:
                if r.follows_with:
                    sec.add(Note(f"{r.field}: follows from your {r.follows_from}, with "
                                 f"{describe(r.follows_with[0]).text}",
                                 *_eta_numbers(ans, r.follows_with), "."))
                else:
                    sec.add(Note(f"{r.field}: follows from your {r.follows_from} (the step "
                                 f"itself is right)."))
            elif r.mistakes:
                text = f"{r.field}: the value you get with {mistake_words(r.mistakes[0])}"
                parts = [text, *_eta_numbers(ans, r.mistakes[0])]
                if len(r.mistakes) > 1:
                    parts.append("; also " + "; ".join(mistake_words(m)
                                                       for m in r.mistakes[1:]))
                sec.add(Note(*parts, "."))
    return sec


@dataclass
class Ungraded:
    """An answers file of a class run that could not be graded: its error line."""

    path: str
    error: str

    @property
    def student(self) -> str:
        return _file_student(self.path)


def _file_student(path: str) -> str:
    return os.path.splitext(os.path.basename(str(path)))[0]


def _file_mistakes(rep: FileReport) -> list:
    """The likely mistakes of one file, each once, in a few words, in order of computation."""
    mis = []
    for r in rep.results:
        if not r.correct and r.mistakes and not r.follows_from:
            w = mistake_short(r.mistakes[0])
            if w not in mis:
                mis.append(w)
    return mis


def gradebook(reports: list) -> list:
    """One record per answers file (graded or not): the rows of the CSV and JSON gradebooks."""
    rows = []
    for rep in reports:
        if isinstance(rep, Ungraded):
            rows.append({"file": rep.path, "student": rep.student, "right": None, "of": None,
                         "earliest_wrong": None, "mistakes": [], "error": rep.error})
        else:
            rows.append({"file": rep.answers.path, "student": rep.answers.student,
                         "right": rep.n_right, "of": len(rep.results),
                         "earliest_wrong": rep.earliest.field if rep.earliest else None,
                         "mistakes": _file_mistakes(rep), "error": None})
    return rows


GRADEBOOK_COLUMNS = ["file", "student", "right", "of", "earliest_wrong", "mistakes", "error"]


def gradebook_csv(reports: list) -> str:
    """The gradebook as CSV (a header row, then one row per answers file)."""
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(GRADEBOOK_COLUMNS)
    for row in gradebook(reports):
        w.writerow(["" if row[c] is None else "; ".join(row[c]) if c == "mistakes" else row[c]
                    for c in GRADEBOOK_COLUMNS])
    return buf.getvalue()


def gradebook_json(reports: list) -> str:
    """The gradebook as JSON: {kind: "gradebook", format_version, files: [record, ...]}."""
    import json
    return json.dumps({"kind": "gradebook", "format_version": 1,
                       "files": gradebook(reports)}, sort_keys=True, indent=2,
                      ensure_ascii=False) + "\n"


def _ungraded_data(u: Ungraded) -> dict:
    return {"file": u.path, "student": u.student, "problem": None, "kind": None,
            "tolerance": None, "right": 0, "wrong": 0, "total": 0, "all_right": False,
            "earliest_wrong": None, "fields": [], "mistakes": [], "error": u.error}


def report(reports: list) -> Solution:
    """The check report of one or several answers files, as a Solution of kind "check".

    In a class run an item may be ``Ungraded``: a section and a summary row with its error."""
    several = len(reports) > 1
    graded_ = [rep for rep in reports if not isinstance(rep, Ungraded)]
    blocks = []
    for rep in reports:
        if isinstance(rep, Ungraded):
            blocks.append(Section(f"{rep.student}: not graded").add(
                Paragraph(f"{rep.path} could not be graded:"), Note(f"Error: {rep.error}")))
        else:
            blocks.append(_file_section(rep, several))
    counts: dict = {}
    for rep in graded_:
        for r in rep.results:
            if not r.correct and r.mistakes and not r.follows_from:
                key = r.mistakes[0]
                counts.setdefault(key, set()).add(rep.answers.path)
    n_ungraded = len(reports) - len(graded_)
    if several:
        rows = []
        for rep in reports:
            if isinstance(rep, Ungraded):
                # its error in a column of its own, not under "Likely mistakes"
                rows.append([rep.path, "", "", "not graded", "", rep.error])
                continue
            mis = _file_mistakes(rep)
            rows.append([rep.answers.student, Num(rep.n_right), Num(len(rep.results)),
                         rep.earliest.field if rep.earliest else "",
                         "; ".join(mis) if mis else ("" if rep.n_wrong == 0 else "—"), ""])
        header = ["Student", "Right", "Of", "Earliest wrong", "Likely mistakes", "Error"]
        align = ["left", "right", "right", "left", "left", "left"]
        if not n_ungraded:
            header, align, rows = header[:-1], align[:-1], [row[:-1] for row in rows]
        summary = Section("Class summary")
        summary.add(Table(header, rows, align=align))
        all_right = sum(rep.n_wrong == 0 for rep in graded_)
        tail = ["."] if not n_ungraded else \
            ["; ", Num(n_ungraded), " could not be graded (their error is in the table)."]
        summary.add(Paragraph(Num(all_right), " of ", Num(len(reports)),
                              " answer files all right", *tail))
        if counts:
            mrows = [[mistake_words(k), Num(len(v))]
                     for k, v in sorted(counts.items(), key=lambda kv: -len(kv[1]))]
            summary.add(Table(["Mistake", "Students"], mrows, align=["left", "right"]))
        blocks.append(summary)
    files = []
    for rep in reports:
        if isinstance(rep, Ungraded):
            files.append(_ungraded_data(rep))
        else:
            d = file_data(rep)
            d["mistakes"] = [list(m) for m in dict.fromkeys(
                r.mistakes[0] for r in rep.results
                if not r.correct and r.mistakes and not r.follows_from)]
            d["error"] = None
            files.append(d)
    data = {
        "kind": "check", "format_version": 1,
        "files": files,
        "summary": {
            "files": len(reports),
            "all_right": sum(rep.n_wrong == 0 for rep in graded_),
            "right": sum(rep.n_right for rep in graded_),
            "wrong": sum(rep.n_wrong for rep in graded_),
            "ungraded": n_ungraded,
            "mistakes": {"; ".join(k): len(v) for k, v in counts.items()},
        },
    }
    title = "Checking answers" if not several else f"Checking {len(reports)} answer files"
    return Solution("check", title, blocks, data)


def grade_files(paths, tolerance: Tolerance | None = None, on_file=None,
                class_run: bool | None = None) -> list:
    """Grade answers files. One file: its error is raised. Several, or ``class_run`` (a
    gradebook is asked for): a file that cannot be read or is not a valid answers file becomes
    ``Ungraded`` and the others are still graded. ``on_file`` (if given) is called after each
    file, for a progress bar."""
    paths = list(paths)
    if class_run is None:
        class_run = len(paths) > 1
    reports = []
    problems: dict = {}     # each problem file loaded and solved once
    for p in paths:
        if not class_run:
            reports.append(grade(load_answers(p, tolerance)))
        else:
            try:
                reports.append(grade(load_answers(p, tolerance, problems)))
            except NnsolveError as e:
                reports.append(Ungraded(str(p), str(e)))
            except Exception as e:  # a bug on one file must not stop a class's grading
                if os.environ.get("NNSOLVE_DEBUG"):
                    raise
                reports.append(Ungraded(str(p), f"{p}: {internal_error(e)}"))
        if on_file is not None:
            on_file()
    return reports


def all_right(reports: list) -> bool:
    """True when every file was graded and every claimed value is right."""
    return all(not isinstance(rep, Ungraded) and rep.n_wrong == 0 for rep in reports)


def check_files(paths, tolerance: Tolerance | None = None, on_file=None) -> tuple[Solution, bool]:
    """Grade answers files: the report, and True when every file was graded and every claimed
    value is right."""
    reports = grade_files(paths, tolerance, on_file)
    return report(reports), all_right(reports)
