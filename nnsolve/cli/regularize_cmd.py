"""nnsolve regularize."""

import click

from .common import load_for, make_output, output_options, solve_and_write


@click.command(short_help="p-norm penalty α‖w‖ₚᵖ and its gradient, step by step.")
@click.argument("problem", required=False,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--p", "p", metavar="P",
              help="The norm's p (> 0), e.g. 2 or 0.5 or 1/3; `p` (or none) for any p.")
@click.option("--alpha", metavar="A", help="The penalty's weight α (≥ 0).")
@click.option("--weights", metavar="W",
              help="The weights: 1,-2,0.5 (a vector), 1,-2;0.5,3 (a matrix, rows split by ;) "
                   "or a .txt/.csv/.npy file.")
@click.option("--loss-gradient", metavar="G",
              help="∇J, the loss's gradient, in the weights' shape: then ∇J̃ is computed.")
@click.option("--learning-rate", metavar="ETA",
              help="η (> 0): then the updated weights are computed.")
@output_options
def regularize(problem, p, alpha, weights, loss_gradient, learning_rate, **kwargs):
    """The p-norm penalty α‖w‖ₚᵖ = α Σ|wᵢ|ᵖ and its gradient α·p·|wᵢ|^(p−1)·sign(wᵢ).

    With no numbers it prints the derivation for any p; with --p alone, the derivation for that
    p (2: weight decay; 1: the subgradient at 0). With weights (from PROBLEM.yaml or the
    options): the penalty, its gradient per weight, ∇J̃ = ∇J + α∇‖w‖ₚᵖ when --loss-gradient is
    given, and the updated weights when --learning-rate is.

    \b
    Examples:
      nnsolve regularize
      nnsolve regularize --p 2
      nnsolve regularize --p 3 --alpha 0.1 --weights 1,-2,0.5
      nnsolve regularize --p 2 --alpha 0.01 --weights "1,-2;0.5,3" \\
          --loss-gradient "0.1,0.2;-0.3,0" --learning-rate 0.1
      nnsolve regularize problems/regularize-odd-p.yaml --format json
    """
    out = make_output(kwargs)
    given = {"--p": p, "--alpha": alpha, "--weights": weights,
             "--loss-gradient": loss_gradient, "--learning-rate": learning_rate}
    if problem is not None:
        clash = [name for name, v in given.items() if v is not None]
        if clash:
            raise click.UsageError(f"give either a problem file or {', '.join(clash)}, not both")
        spec = load_for("regularize", problem)
    else:
        from ..kinds.regularize.spec import from_options
        spec = from_options(p=p, alpha=alpha, weights=weights, loss_gradient=loss_gradient,
                            learning_rate=learning_rate)
    solve_and_write(spec, out)
