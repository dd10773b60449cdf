"""nnsolve solve."""

import click

from .common import make_output, output_options, solve_and_write


@click.command(short_help="Any problem by its `kind`, or a whole sheet of problems.")
@click.argument("problem", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--verify", is_flag=True,
              help="backprop and graph: check every gradient against central finite "
                   "differences (refused for a problem without gradients).")
@output_options
def solve(problem, verify, **kwargs):
    """Solve a problem file of any kind, or a sheet: `title` and `problems`, each a problem
    (with `kind`) or `{file: other.yaml}` relative to the sheet, as one document with a
    section per problem. The JSON of a sheet is the list of its problems' JSON.

    \b
    Example:
      nnsolve solve problems/seed-conv.yaml
      nnsolve solve problems/seed-sheet.yaml --format latex -o sheet.tex
      nnsolve solve problems/seed-sheet.yaml --format markdown --exact
    """
    from ..kinds import VERIFIES
    from ..load import load_problem
    out = make_output(kwargs)
    spec = load_problem(problem)
    if verify:      # never silently ignored: refused where there is no gradient to check
        kinds = [p.kind for p in spec.problems] if spec.kind == "sheet" else [spec.kind]
        if not any(k in VERIFIES for k in kinds):
            what = f"a {kinds[0]} problem" if len(set(kinds)) == 1 and spec.kind != "sheet" \
                else "this sheet"
            raise click.UsageError(f"--verify: {what} has no gradients to check (--verify "
                                   f"checks {' and '.join(VERIFIES)} gradients against finite "
                                   f"differences)")
    solve_and_write(spec, out, verify=verify)
