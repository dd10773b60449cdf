"""nnsolve backprop."""


import click

from .common import load_for, make_output, output_options, solve_and_write


@click.command(short_help="A network (dense or CNN): forward, backward, update.")
@click.argument("problem", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--verify", is_flag=True,
              help="Check every gradient against central finite differences.")
@click.option("--cost", is_flag=True,
              help="Instead: count the multiplications for all gradients without reuse "
                   "against backpropagation, for this network and deeper ones (seed 1.1).")
@output_options
def backprop(problem, verify, cost, **kwargs):
    """Solve a backpropagation problem: forward pass, loss, backward pass and update.

    \b
    Example:
      nnsolve backprop problems/seed-backprop.yaml
      nnsolve backprop problems/xor-batch.yaml --format json
      nnsolve backprop problems/seed-backprop.yaml --cost
      nnsolve backprop problems/seed-backprop.yaml --cost --detail summary
    """
    out = make_output(kwargs)
    if cost and verify:
        raise click.UsageError("--cost and --verify do not combine: --cost counts "
                               "multiplications and computes no gradient to check")
    spec = load_for("backprop", problem)
    if cost:
        from dataclasses import replace   # not on the --help path
        spec = replace(spec, kind="backprop_cost")
    solve_and_write(spec, out, verify=verify)
