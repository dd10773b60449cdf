"""nnsolve conv."""

import click

from .common import activation_choice, load_for, make_output, output_options, solve_and_write


class _TextParam(click.ParamType):
    """An option value read by a parser that raises ValueError (a usage error, exit 2)."""

    def __init__(self, name, parse):
        self.name = name
        self._parse = parse

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def _pair(text):
    from ..kinds.conv.spec import pair_from_text
    return pair_from_text(text)


def _padding(text):
    from ..kinds.conv.spec import padding_from_text
    return padding_from_text(text)


def _number(text):
    from ..numbers import parse_number
    return parse_number(text)


PAIR = _TextParam("N or ROWS,COLS", _pair)
PADDING = _TextParam("PADDING", _padding)
NUMBER = _TextParam("NUMBER", _number)
MATRIX = click.Path(exists=True, dir_okay=False, allow_dash=True)
_PROBLEM_OPTIONS = ("input_", "kernels", "stride", "padding", "dilation", "mode", "bias",
                    "activation", "pool", "pool_size", "pool_stride")


@click.command(short_help="Convolution, window by window.")
@click.argument("problem", required=False,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--input", "input_", type=MATRIX, metavar="FILE",
              help="Input matrix file (.txt, .csv or .npy); channels separated by blank lines.")
@click.option("--kernel", "kernels", type=MATRIX, multiple=True, metavar="FILE",
              help="Kernel matrix file; give it once per filter.")
@click.option("--stride", type=PAIR, help="Stride: n or rows,cols.  [default: 1]")
@click.option("--padding", type=PADDING,
              help="Zero padding: n, rows,cols, top,bottom,left,right, same or valid.  "
                   "[default: 0]")
@click.option("--dilation", type=PAIR, help="Dilation: n or rows,cols.  [default: 1]")
@click.option("--mode", type=click.Choice(["cross_correlation", "convolution"]),
              help="cross_correlation (what deep-learning layers compute) or convolution "
                   "(the kernel flipped).  [default: cross_correlation]")
@click.option("--bias", type=NUMBER, multiple=True,
              help="Bias added to the output: once (every filter) or once per filter.")
@click.option("--activation", type=activation_choice(conv=True),
              help="Activation after the bias.")
@click.option("--pool", type=click.Choice(["max", "avg"]), help="Pooling after all that.")
@click.option("--pool-size", type=PAIR, help="Pooling window: n or rows,cols.  [default: 2]")
@click.option("--pool-stride", type=PAIR, help="Pooling stride.  [default: the pool size]")
@output_options
def conv(problem, input_, kernels, stride, padding, dilation, mode, bias, activation, pool,
         pool_size, pool_stride, **kwargs):
    """Compute a 2-D convolution (or cross-correlation) window by window: each window's patch,
    the element-wise products and their sum, then the output matrix, with bias, activation and
    pooling if asked.

    Give a problem file (kind: conv), or the input and kernel as matrix files.

    \b
    Example:
      nnsolve conv problems/seed-conv.yaml
      nnsolve conv --input problems/I.txt --kernel problems/K.txt
      printf '1 2 3\\n4 5 6\\n1 5 3\\n' | nnsolve conv --input - --kernel problems/K.txt
      nnsolve conv --input I.txt --kernel K1.txt --kernel K2.txt --stride 2 --padding same
    """
    out = make_output(kwargs)
    given = {k: v for k, v in locals().items() if k in _PROBLEM_OPTIONS and v not in (None, ())}
    if problem is not None:
        if given:
            names = ", ".join("--" + k.rstrip("_").replace("_", "-").replace("kernels", "kernel")
                              for k in given)
            raise click.UsageError(f"give a problem file or options ({names}), not both")
        spec = load_for("conv", problem)
    else:
        if input_ is None or not kernels:
            raise click.UsageError("give a problem file, or --input FILE and --kernel FILE")
        if [input_, *kernels].count("-") > 1:
            raise click.UsageError("only one of --input and --kernel can be - (standard input)")
        if (pool_size or pool_stride) and not pool:
            raise click.UsageError("--pool-size and --pool-stride need --pool max or --pool avg")
        from ..kinds.conv.spec import from_options
        spec = from_options(input_, kernels, stride=stride, padding=padding, dilation=dilation,
                            mode=mode, bias=bias, activation=activation, pool=pool,
                            pool_size=pool_size, pool_stride=pool_stride)
    solve_and_write(spec, out)
