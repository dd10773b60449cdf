"""nnsolve shape."""


import click

from .common import load_for, make_output, output_options, solve_and_write
from .conv_cmd import PADDING, PAIR, _TextParam


def _shape(text):
    from ..kinds.shape.spec import shape_from_text
    return shape_from_text(text)


def _nonneg_pair(text):
    from ..kinds.conv.spec import pair_from_text
    return pair_from_text(text, nonnegative=True)


SHAPE = _TextParam("CxHxW", _shape)
NONNEG_PAIR = _TextParam("N or ROWS,COLS", _nonneg_pair)
_LAYER_OPTIONS = ("input_", "kernel", "stride", "padding", "dilation", "transposed",
                  "output_padding", "pool", "size", "ceil_mode")


@click.command(short_help="Output sizes and parameter counts.")
@click.argument("problem", required=False,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--input", "input_", type=SHAPE, metavar="CxHxW",
              help="Input shape, channels first: 1x4x4 (4x4 means 1x4x4).")
@click.option("--kernel", type=PAIR, metavar="KxK", help="Convolution kernel size: 2x2 or 3.")
@click.option("--filters", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of filters (output channels).")
@click.option("--stride", type=PAIR, help="Stride: n or rows,cols.  [default: 1; a pool's: "
                                          "its size]")
@click.option("--padding", type=PADDING,
              help="Padding: n, rows,cols, top,bottom,left,right, same or valid.  [default: 0]")
@click.option("--dilation", type=PAIR, help="Dilation: n or rows,cols.  [default: 1]")
@click.option("--transposed", is_flag=True, help="A transposed convolution.")
@click.option("--output-padding", type=NONNEG_PAIR,
              help="Transposed convolution: extra rows/columns at the end.  [default: 0]")
@click.option("--pool", type=click.Choice(["max", "avg"]),
              help="A pooling layer (after the convolution when --kernel is given too).")
@click.option("--size", type=PAIR, help="Pooling window size.  [default: 2]")
@click.option("--ceil-mode", is_flag=True, help="Pooling: round the output size up.")
@click.option("--compare-dense", is_flag=True,
              help="Compare each convolution's parameters with a fully connected layer's.")
@output_options
def shape(problem, input_, kernel, filters, stride, padding, dilation, transposed,
          output_padding, pool, size, ceil_mode, compare_dense, **kwargs):
    """Output shapes and parameter counts, each with its formula and numbers.

    Give one layer as options, or a problem file (kind: shape) with a stack of layers.

    \b
    Example:
      nnsolve shape --input 1x4x4 --kernel 2x2 --filters 2 --stride 1
      nnsolve shape --input 3x32x32 --kernel 3 --filters 16 --padding same --pool max
      nnsolve shape problems/cnn-stack.yaml --compare-dense
      nnsolve shape problems/resnet18.yaml
    """
    out = make_output(kwargs)
    values = locals()
    given = [k for k in _LAYER_OPTIONS if values[k] not in (None, False)]
    if problem is not None:
        if given or filters != 1:
            raise click.UsageError("give a problem file or layer options, not both")
        spec = load_for("shape", problem)
    else:
        spec = _from_options(input_, kernel, filters, stride, padding, dilation, transposed,
                             output_padding, pool, size, ceil_mode)
    if compare_dense:
        from dataclasses import replace   # not on the --help path
        spec = replace(spec, compare_dense=True)
    solve_and_write(spec, out)


def _from_options(input_, kernel, filters, stride, padding, dilation, transposed,
                  output_padding, pool, size, ceil_mode):
    """The usage checks of the layer options, then the one-layer problem they describe."""
    if input_ is None:
        raise click.UsageError("give a problem file, or --input CxHxW with --kernel or --pool")
    if kernel is None and pool is None:
        raise click.UsageError("give --kernel (a convolution) or --pool (a pooling layer)")
    if transposed and kernel is None:
        raise click.UsageError("--transposed needs --kernel")
    if output_padding is not None and not transposed:
        raise click.UsageError("--output-padding needs --transposed")
    if (size is not None or ceil_mode) and pool is None:
        raise click.UsageError("--size and --ceil-mode need --pool max or --pool avg")
    if transposed and isinstance(padding, str):
        raise click.BadParameter("a transposed convolution takes numbers", param_hint="--padding")
    if pool is not None and kernel is None and isinstance(padding, str):
        raise click.BadParameter("a pool takes numbers", param_hint="--padding")
    from ..kinds.shape.spec import build_single
    return build_single(input_, kernel=kernel, filters=filters, stride=stride,
                        padding=padding if padding is not None else ((0, 0), (0, 0)),
                        dilation=dilation or (1, 1), transposed=transposed,
                        output_padding=output_padding or (0, 0), pool=pool, size=size,
                        ceil_mode=ceil_mode)
