"""nnsolve solve."""

import click

from .common import make_output, output_options, solve_and_write


@click.command(short_help="Any problem by its `kind`, or a whole sheet of problems.")
@click.argument("problem", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--verify", is_flag=True,
              help="backprop: check every gradient against central finite differences.")
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
    from ..load import load_problem
    out = make_output(kwargs)
    solve_and_write(load_problem(problem), out, verify=verify)
