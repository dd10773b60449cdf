"""Solving a sheet: each problem by its kind, gathered into one Solution of kind "sheet".

The sheet's Solution has a Section per problem (its title, and the problem's own blocks inside),
so every renderer prints it as one document without knowing about sheets; its ``data`` is the
list of the problems' data, so the JSON of a sheet is the list of its problems' JSON.
"""

from __future__ import annotations

from .solution import Section, Solution


def solve_sheet(sheet, options) -> Solution:
    """Solve every problem of a sheet, in order, into one Solution."""
    from .solve import solve
    blocks, data = [], []
    for i, (problem, title) in enumerate(zip(sheet.problems, sheet.titles), start=1):
        solution = solve(problem, options)
        heading = title or solution.title or f"Problem {i}: {solution.kind}"
        blocks.append(Section(heading, list(solution.blocks)))
        data.append(solution.data)
    return Solution(kind="sheet", title=sheet.title, blocks=blocks, data=data)
