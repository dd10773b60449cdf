"""nnsolve pool."""

import click

from .common import load_for, make_output, output_options, solve_and_write
from .conv_cmd import MATRIX, PADDING, PAIR

_PROBLEM_OPTIONS = ("input_", "type_", "size", "stride", "padding", "ceil_mode")


@click.command(short_help="Max or average pooling, window by window.")
@click.argument("problem", required=False,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--input", "input_", type=MATRIX, metavar="FILE",
              help="Input matrix file (.txt, .csv or .npy; - reads standard input); channels "
                   "separated by blank lines.")
@click.option("--type", "type_", type=click.Choice(["max", "avg"]),
              help="max or avg (the mean of the window's cells that are not padding).")
@click.option("--size", type=PAIR, help="Pooling window: n or rows,cols.")
@click.option("--stride", type=PAIR, help="Stride: n or rows,cols.  [default: the size]")
@click.option("--padding", type=PADDING,
              help="Padding: n, rows,cols or top,bottom,left,right; at most half the size.  "
                   "[default: 0]")
@click.option("--ceil-mode", "ceil_mode", is_flag=True, default=None,
              help="Round the output size up (PyTorch's ceil_mode).")
@output_options
def pool(problem, input_, type_, size, stride, padding, ceil_mode, **kwargs):
    """Pool a matrix (or C×H×W channels) window by window: each window marked in the input, its
    cells, their max or their mean, then the output matrix.

    Give a problem file (kind: pool), or the input as a matrix file with --type and --size.

    \b
    Example:
      nnsolve pool problems/pool-max.yaml
      nnsolve pool --input problems/I.txt --type max --size 2 --stride 1
      printf '1 2\\n3 4\\n' | nnsolve pool --input - --type avg --size 2 --padding 1
    """
    out = make_output(kwargs)
    given = {k: v for k, v in locals().items() if k in _PROBLEM_OPTIONS and v is not None}
    if problem is not None:
        if given:
            names = ", ".join("--" + k.rstrip("_").replace("_", "-") for k in given)
            raise click.UsageError(f"give a problem file or options ({names}), not both")
        spec = load_for("pool", problem)
    else:
        if input_ is None:
            raise click.UsageError("give a problem file, or --input FILE with --type and "
                                   "--size")
        missing = [n for n, v in (("--type max|avg", type_), ("--size N", size)) if v is None]
        if missing:
            raise click.UsageError(f"--input needs {' and '.join(missing)}")
        from ..kinds.pool.spec import from_options
        spec = from_options(input_, type=type_, size=size, stride=stride, padding=padding,
                            ceil_mode=bool(ceil_mode))
    solve_and_write(spec, out)
