"""nnsolve backprop."""

import click

from .common import load_for, make_output, output_options, solve_and_write


@click.command(short_help="Fully connected network: forward, loss, backward, update.")
@click.argument("problem", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--verify", is_flag=True,
              help="Check every gradient against central finite differences.")
@output_options
def backprop(problem, verify, **kwargs):
    """Solve a backpropagation problem: forward pass, loss, backward pass and update.

    \b
    Example:
      nnsolve backprop problems/seed-backprop.yaml
      nnsolve backprop problems/xor-batch.yaml --format json
    """
    out = make_output(kwargs)
    solve_and_write(load_for("backprop", problem), out, verify=verify)
