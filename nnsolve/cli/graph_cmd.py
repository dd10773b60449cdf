"""nnsolve graph."""

import os

import click

from .common import load_for, make_output, output_options, solve_and_write


@click.command(short_help="A computational graph of scalars: forward, backward, the picture.")
@click.argument("source", metavar="PROBLEM.yaml|EXPRESSION")
@click.option("--at", metavar="VALUES",
              help="The inputs' values for an EXPRESSION: x=-2,y=5,z=-4.")
@click.option("--parameters", metavar="NAMES",
              help="Inputs to update by gradient descent (with --learning-rate): w0,w1.")
@click.option("--learning-rate", metavar="ETA", help="η (> 0) for the updates.")
@click.option("--steps", type=click.IntRange(1), help="Number of gradient steps (default 1).")
@click.option("--verify", is_flag=True,
              help="Check every input's gradient against central finite differences.")
@click.option("--cost", is_flag=True,
              help="Instead: count the multiplications of the chain rule with every path "
                   "written out against backpropagation's reuse (question 1.1).")
@output_options
def graph(source, at, parameters, learning_rate, steps, verify, cost, **kwargs):
    """A computational graph of scalars, the way backpropagation is first taught: the forward
    pass node by node, the backward pass from ∂f/∂f = 1 gate by gate (local derivatives,
    upstream × local, sums over paths), a table and the graph drawn with every value and
    gradient.

    SOURCE is a problem file (`kind: graph`, with `inputs` and `nodes` or `expression`), or an
    expression with --at, which nnsolve stages into one node per operation. An expression may
    use + - * / ** (or ^), unary -, exp, log, sqrt, sigmoid, tanh, relu, abs, max(a, b) and
    min(a, b); it is parsed, never run as Python.

    \b
    Examples:
      nnsolve graph "(x + y) * z" --at x=-2,y=5,z=-4
      nnsolve graph problems/graph-sigmoid-neuron.yaml --verify
      nnsolve graph "x * x + x" --at x=3 --cost
      nnsolve graph "(w * x - 1) ** 2" --at w=2,x=1 --parameters w --learning-rate 0.1 --steps 3
      nnsolve graph problems/graph-cs231n.yaml --format latex -o graph.tex
    """
    out = make_output(kwargs)
    if cost and verify:
        raise click.UsageError("--cost and --verify do not combine: --cost counts "
                               "multiplications and computes no gradient to check")
    is_file = source == "-" or os.path.isfile(source)
    if is_file:
        given = {"--at": at, "--parameters": parameters, "--learning-rate": learning_rate,
                 "--steps": steps}
        clash = [name for name, v in given.items() if v is not None]
        if clash:
            raise click.UsageError(f"{', '.join(clash)} go with an EXPRESSION; a problem file "
                                   f"holds its own inputs and parameters")
        spec = load_for("graph", source)
    else:
        if os.path.isdir(source):
            raise click.BadParameter(f"{source} is a directory, expected a problem file or an "
                                     f"expression", param_hint="SOURCE")
        if source.lower().endswith((".yaml", ".yml")):
            raise click.BadParameter(f"file {source} does not exist", param_hint="SOURCE")
        from ..kinds.graph.spec import from_expression
        spec = from_expression(source, at, parameters=parameters, learning_rate=learning_rate,
                               steps=steps)
    if cost:
        from dataclasses import replace
        spec = replace(spec, kind="graph_cost")
    solve_and_write(spec, out, verify=verify)
