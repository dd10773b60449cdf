"""nnsolve new: exercises with clean numbers, deterministic per seed."""

import os

import click

from .common import activation_choice, same_file, write_output


def _seed_option(f):
    return click.option("--seed", type=click.IntRange(0), default=None,
                        help="Seed: the same seed and options give the same file. Default: a "
                             "random seed, written in the file's first line.")(f)


def _output_options(f):
    """-o, --answers, and --seeds/--moodle/--ask, which run the command once per seed."""
    import functools

    from .common import output_dir_exists

    command = f

    @functools.wraps(command)
    def run(*args, seeds=None, moodle=None, ask=None, **kwargs):
        if seeds is None and moodle is None:
            if ask is not None:
                raise click.UsageError("--ask chooses the results a Moodle quiz asks: it needs "
                                       "--moodle FILE")
            return command(*args, **kwargs)
        return _many(command, args, kwargs, seeds, moodle, ask)

    f = run
    f = click.option("--ask", metavar="FIELDS",
                     help="With --moodle: the results each question asks, as check's answers "
                          "files name them, comma-separated; * for any part "
                          "(loss,layers.1.dJ_dW,layers.*.W_new). Default: the loss, the output, "
                          "the first layer's gradients and the updated parameters (backprop); "
                          "the output shapes but an activation's, the parameter counts that "
                          "are not 0 and the total (shape); every result (other kinds).")(f)
    f = click.option("--moodle", "moodle", type=click.Path(dir_okay=False),
                     callback=output_dir_exists,
                     help="Write a Moodle XML quiz there: one cloze question per seed, each "
                          "result an embedded numerical answer with check's tolerance.")(f)
    f = click.option("--seeds", metavar="RANGE", callback=_seeds_option,
                     help="Many variants, one per seed: 1-200, or 1,4,7-9. With --moodle, one "
                          "quiz; with -o/--answers, names holding {seed} (ex{seed}.yaml).")(f)
    f = click.option("--answers", "answers_path", type=click.Path(dir_okay=False),
                     callback=output_dir_exists, help="Also write the full right answers there (an answers file for "
                          "`nnsolve check`, a key for grading); needs -o.")(f)
    f = click.option("-o", "--output", type=click.Path(dir_okay=False),
                     callback=output_dir_exists, help="Write the problem to this file instead of standard output.")(f)
    return f


def _positive_number(ctx, param, value):
    """A number read exactly (0.1, 1/2, 1e-3); that it is > 0 the generator checks."""
    if value is None:
        return None
    from ..numbers import parse_number
    try:
        return parse_number(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx, param) from None


MAX_SEEDS = 10000


def _seeds_option(ctx, param, value):
    """--seeds 1-200 or 1,4,7-9: the seeds, in order, each once."""
    if value is None:
        return None
    seeds: list = []
    for part in value.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                lo, hi = (int(x) for x in part.split("-", 1))
            else:
                lo = hi = int(part)
        except ValueError:
            raise click.BadParameter(f"expected seeds such as 1-200 or 1,4,7-9, got {value!r}",
                                     ctx, param) from None
        if lo < 0 or hi < lo:
            raise click.BadParameter(f"expected a range of seeds ≥ 0 from low to high, got "
                                     f"{part!r}", ctx, param)
        if hi - lo + 1 + len(seeds) > MAX_SEEDS:
            raise click.BadParameter(f"at most {MAX_SEEDS:,} seeds in one run", ctx, param)
        seeds += [s for s in range(lo, hi + 1) if s not in seeds]
    return seeds


def _many(f, args, kwargs, seeds, moodle, ask):
    """Run a `new` command once per seed, collecting what it makes; then write each problem (and
    answer key) where -o/--answers name it with {seed}, and the Moodle quiz."""
    from ..generating import GenerationError
    from .common import progress
    output, answers_path = kwargs.get("output"), kwargs.get("answers_path")
    if seeds is not None and kwargs.get("seed") is not None:
        raise click.UsageError("give --seed or --seeds, not both")
    if seeds is None:
        seeds = [_pick_seed(kwargs.get("seed"))]
    many = len(seeds) > 1
    for name, path in (("-o", output), ("--answers", answers_path)):
        if many and path is not None and "{seed}" not in path:
            raise click.UsageError(f"{name} with --seeds writes one file per seed: put {{seed}} "
                                   f"in its name (ex{{seed}}.yaml)")
    if answers_path is not None and output in (None, "-"):
        raise click.UsageError("--answers needs -o FILE: the answers file names the problem "
                               "file it answers")
    if many and moodle is None and output is None:
        raise click.UsageError("--seeds makes many problems: give --moodle FILE, or -o with "
                               "{seed} in its name")
    asked = [a.strip() for a in ask.split(",") if a.strip()] if ask is not None else None
    if asked is not None and not asked:
        raise click.UsageError("--ask names no result")
    ctx = click.get_current_context()
    made = []
    with progress(len(seeds), "Generating") as step:
        for seed in seeds:
            ctx.meta["nnsolve.new.collect"] = collected = []
            try:
                f(*args, **dict(kwargs, seed=seed, output=None, answers_path=None))
            except GenerationError as e:
                raise GenerationError(f"seed {seed}: {e}" if many and "another" in str(e)
                                      else str(e)) from None
            finally:
                ctx.meta.pop("nnsolve.new.collect", None)
            (gen, command), = collected
            made.append((seed, gen, command))
            step()
    if moodle is not None:
        from ..grading import DEFAULT_TOLERANCE
        from ..moodle import AskError, moodle_quiz
        category = made[0][2].replace(f" --seed {made[0][0]}", "", 1)
        try:
            quiz = moodle_quiz(made[0][1].kind, [(s, g) for s, g, _c in made], asked,
                               DEFAULT_TOLERANCE, category)
        except AskError as e:
            raise click.BadParameter(str(e), param_hint="--ask") from None
    if output is not None:
        for seed, gen, command in made:
            name = output.replace("{seed}", str(seed))
            _write(gen, name, answers_path.replace("{seed}", str(seed))
                   if answers_path is not None else None, command)
    if moodle is not None:
        write_output(quiz, moodle)


def _command_line(kind: str, seed: int, extra: list) -> str:
    import shlex
    return " ".join(["nnsolve", "new", kind, "--seed", str(seed)] +
                    [shlex.quote(x) for x in extra])


def _pick_seed(seed):
    if seed is not None:
        return seed
    import random
    return random.SystemRandom().randrange(10 ** 6)


def _write(gen, output, answers_path, command):
    from ..generating import answers_text
    collect = click.get_current_context().meta.get("nnsolve.new.collect")
    if collect is not None:     # --seeds/--moodle: _many writes what each seed made
        collect.append((gen, command))
        return
    if answers_path is not None and output in (None, "-"):
        raise click.UsageError("--answers needs -o FILE: the answers file names the problem "
                               "file it answers")
    if answers_path is not None and same_file(output, answers_path):
        raise click.UsageError("-o and --answers name the same file; the answers would be "
                               "written over the exercise")
    write_output(gen.text, output)
    if answers_path is not None:
        ref = os.path.relpath(os.path.abspath(output),
                              os.path.dirname(os.path.abspath(answers_path)))
        write_output(answers_text(gen, ref.replace(os.sep, "/"), command), answers_path)


def _sizes(text):
    try:
        sizes = tuple(int(t) for t in text.replace("x", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"expected sizes such as 1,2,2,1, got {text!r}",
                                 param_hint="--layers") from None
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise click.BadParameter("expected at least two sizes ≥ 1: the inputs, then each "
                                 "layer's units (1,2,2,1 is the seed's network)",
                                 param_hint="--layers")
    return sizes


def _pair(text, name):
    from ..kinds.conv.spec import pair_from_text
    try:
        return pair_from_text(text)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=name) from None


@click.group(short_help="A new exercise whose solution has clean numbers.")
def new():
    """Write a new exercise (a problem YAML file) whose every value in the solution is a whole
    number or has at most two decimals, with no ReLU input exactly 0 (unless --allow-zero).
    The same seed and options give a byte-identical file; --answers also writes the answer key.

    \b
    Example:
      nnsolve new backprop --seed 7 -o p.yaml --answers key.yaml
      nnsolve new backprop --seeds 1-200 --moodle quiz.xml
      nnsolve new conv --seed 3 --input-size 5 --kernel-size 3 --padding 1
      nnsolve new shape --seed 1
      nnsolve new regularize --seed 2 --p 3
    """


@new.command(short_help="A fully connected ReLU network, like the seed's 1-2-2-1; or a CNN.")
@_seed_option
@click.option("--layers", "layers", default=None,
              help="The inputs, then each layer's units.  [default: 1,2,2,1; with --cnn the "
                   "dense layers' units after flatten: 1]")
@click.option("--activation", type=activation_choice(exact=True),
              default="relu", show_default=True,
              help="Hidden layers' activation (the output layer is linear); exact ones only. "
                   "With --cnn the conv layer's too.")
@click.option("--loss", type=click.Choice(["squared_error", "half_squared_error"]),
              default="squared_error", show_default=True)
@click.option("--bias", is_flag=True, help="Give every layer a bias.")
@click.option("--allow-zero", is_flag=True, help="Allow a unit exactly at a kink of its activation "
              "(a ReLU input 0, a ReLU6 input 0 or 6).")
@click.option("--optimizer", type=click.Choice(["sgd", "adagrad", "rmsprop", "adam", "adamw"]),
              default=None, help="Train with torch.optim's rule (sgd: with momentum 0.9; "
                                 "with a square root only the passes before it are clean).")
@click.option("--centered", is_flag=True,
              help="With --optimizer rmsprop: centered (divide by the root of v − (gᵃᵛᵉ)²).")
@click.option("--amsgrad", is_flag=True,
              help="With --optimizer adam or adamw: AMSGrad (the largest v so far), with "
                   "beta2 0.5 so that its maximum binds within the steps.")
@click.option("--lr-decay", metavar="X", callback=_positive_number,
              help="With --optimizer adagrad: its lr_decay, η̃ = η/(1 + (t − 1)·X).")
@click.option("--initial-accumulator-value", metavar="X", callback=_positive_number,
              help="With --optimizer adagrad: the sum starts at X instead of 0.")
@click.option("--maximize", is_flag=True,
              help="With --optimizer (any): maximize J (g ← −g first, as PyTorch's).")
@click.option("--steps", type=click.IntRange(1, 10), default=None,
              help="Steps to take (default 1; 2 with --optimizer, so the state carries over).")
@click.option("--cnn", is_flag=True,
              help="A convolutional network: image → conv → activation → pool → flatten → "
                   "dense layers (--layers) → loss; --steps 1 or 2, --optimizer sgd only.")
@click.option("--channels", type=click.IntRange(1, 4), default=None,
              help="With --cnn: the input's channels (C×H×W; kernels C×kh×kw).  [default: 1]")
@click.option("--input-size", default=None, help="With --cnn: the image, n or HxW.  "
                                                 "[default: 5]")
@click.option("--kernel-size", default=None, help="With --cnn: n or HxW.  [default: 2]")
@click.option("--filters", type=click.IntRange(1, 3), default=None,
              help="With --cnn: the conv layer's filters.  [default: 1]")
@click.option("--stride", type=click.IntRange(1, 3), default=None,
              help="With --cnn: the conv stride.  [default: 1]")
@click.option("--padding", type=click.IntRange(0, 4), default=None,
              help="With --cnn: the conv padding.  [default: 0]")
@click.option("--mode", type=click.Choice(["cross_correlation", "convolution"]), default=None,
              help="With --cnn: what the conv layer computes.  [default: cross_correlation]")
@click.option("--pool", type=click.Choice(["max", "avg", "none"]), default=None,
              help="With --cnn: the pooling after the activation, or none.  [default: max]")
@click.option("--pool-size", default=None, help="With --cnn: the pool's window, n or HxW.  "
                                                "[default: 2]")
@click.option("--pool-stride", default=None, help="With --cnn: n or HxW.  [default: the pool "
                                                  "size]")
@_output_options
def backprop(seed, layers, activation, loss, bias, allow_zero, optimizer, centered, amsgrad,
             lr_decay, initial_accumulator_value, maximize, steps, cnn, channels, input_size,
             kernel_size, filters, stride, padding, mode, pool, pool_size, pool_stride, output,
             answers_path):
    """A backpropagation exercise: forward, loss, backward and one update, all clean
    (η is 0.1 or 0.01, whichever keeps the updated weights to two decimals).

    With --cnn, a convolutional network of one conv layer (--channels in), its activation,
    pooling (--pool-size, --pool-stride), flatten and dense layers, with no max-pool window at
    a tie and the averages whole where the search finds such an input (else with two
    decimals).

    \b
    Example:
      nnsolve new backprop --seed 7 -o p.yaml --answers key.yaml
      nnsolve new backprop --seed 3 --layers 2,3,1 --activation leaky_relu
      nnsolve new backprop --seed 5 --optimizer adam
      nnsolve new backprop --seed 5 --optimizer rmsprop --centered --maximize
      nnsolve new backprop --cnn --seed 2 --pool avg --filters 2 --layers 2,1
      nnsolve new backprop --cnn --seed 4 --channels 3 --input-size 4 --pool-size 3 --pool-stride 1
      nnsolve new backprop --cnn --seed 1 --steps 2
    """
    cnn_options = (("--channels", channels), ("--input-size", input_size),
                   ("--kernel-size", kernel_size), ("--filters", filters), ("--stride", stride),
                   ("--padding", padding), ("--mode", mode), ("--pool", pool),
                   ("--pool-size", pool_size), ("--pool-stride", pool_stride))
    # the optimizer's newer options, by their names in a problem (the flags without hyphens)
    options = {"centered": centered, "amsgrad": amsgrad, "lr_decay": lr_decay,
               "initial_accumulator_value": initial_accumulator_value, "maximize": maximize}
    if cnn:
        given = ["--" + k.replace("_", "-") for k, v in options.items() if v not in (None, False)]
        if given:
            raise click.UsageError(f"{given[0]} is for fully connected networks (--cnn takes "
                                   f"--optimizer sgd alone)")
        return _cnn(seed, layers, activation, loss, bias, allow_zero, optimizer, steps,
                    cnn_options, output, answers_path)
    given = [name for name, value in cnn_options if value is not None]
    if given:
        raise click.UsageError(f"{given[0]} is an option of a CNN exercise: add --cnn")
    from ..generating import yaml_number
    from ..kinds.backprop.generate import new_backprop, optimizer_options
    layers = "1,2,2,1" if layers is None else layers
    sizes = _sizes(layers)
    seed = _pick_seed(seed)
    extra = []
    if layers != "1,2,2,1":
        extra += ["--layers", ",".join(map(str, sizes))]
    if activation != "relu":
        extra += ["--activation", activation]
    if loss != "squared_error":
        extra += ["--loss", loss]
    extra += ["--bias"] * bias + ["--allow-zero"] * allow_zero
    if optimizer is not None:
        extra += ["--optimizer", optimizer]
    steps_given = steps
    steps = steps if steps is not None else (2 if optimizer is not None else 1)
    # checked before the command line is written, which names them as checked (0.10 as 0.1)
    options = optimizer_options(optimizer, options, steps)
    for key, value in options.items():
        extra += ["--" + key.replace("_", "-")] + ([] if value is True else
                                                   [yaml_number(value)])
    if steps_given is not None:
        extra += ["--steps", str(steps_given)]
    command = _command_line("backprop", seed, extra)
    gen = new_backprop(seed, sizes, activation, loss, bias, allow_zero, command, optimizer, steps,
                       options)
    _write(gen, output, answers_path, command)


def _dense_units(text):
    """--layers with --cnn: the dense layers' units after flatten (1, or 2,1)."""
    try:
        units = tuple(int(t) for t in text.replace("x", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"expected the dense layers' units after flatten, such as 1 "
                                 f"or 2,1, got {text!r}", param_hint="--layers") from None
    if any(n < 1 for n in units):
        raise click.BadParameter("expected units ≥ 1", param_hint="--layers")
    return units


def _cnn(seed, layers, activation, loss, bias, allow_zero, optimizer, steps, options, output,
         answers_path):
    """new backprop --cnn."""
    from ..kinds.backprop.generate_cnn import new_cnn
    opts = dict(options)
    pool = opts["--pool"] or "max"
    if pool == "none":
        given = [name for name in ("--pool-size", "--pool-stride") if opts[name] is not None]
        if given:
            raise click.UsageError(f"{given[0]} sets the pool: --pool none has none")
    units = _dense_units(layers) if layers is not None else (1,)
    seed = _pick_seed(seed)
    extra = ["--cnn"]
    for name, value in options:
        if value is not None:
            extra += [name, str(value)]
    if layers is not None:
        extra += ["--layers", ",".join(map(str, units))]
    if activation != "relu":
        extra += ["--activation", activation]
    if loss != "squared_error":
        extra += ["--loss", loss]
    extra += ["--bias"] * bias + ["--allow-zero"] * allow_zero
    if optimizer is not None:
        extra += ["--optimizer", optimizer]
    if steps is not None:
        extra += ["--steps", str(steps)]
    size = _pair(opts["--input-size"] or "5", "--input-size")
    ksize = _pair(opts["--kernel-size"] or "2", "--kernel-size")
    psize = _pair(opts["--pool-size"] or "2", "--pool-size")
    pstride = _pair(opts["--pool-stride"], "--pool-stride") \
        if opts["--pool-stride"] is not None else None
    command = _command_line("backprop", seed, extra)
    gen = new_cnn(seed, size, ksize, opts["--filters"] or 1, opts["--stride"] or 1,
                  opts["--padding"] or 0, None if pool == "none" else pool, units, activation,
                  loss, bias, allow_zero, opts["--mode"] or "cross_correlation", command,
                  channels=opts["--channels"] or 1, pool_size=psize, pool_stride=pstride,
                  steps=steps if steps is not None else (2 if optimizer is not None else 1),
                  optimizer=optimizer)
    _write(gen, output, answers_path, command)


@new.command(short_help="A 2-D convolution of small whole numbers.")
@_seed_option
@click.option("--input-size", default="4", show_default=True, help="n or HxW.")
@click.option("--kernel-size", default="2", show_default=True, help="n or HxW.")
@click.option("--stride", type=click.IntRange(1), default=1, show_default=True)
@click.option("--padding", type=click.IntRange(0), default=0, show_default=True)
@click.option("--mode", type=click.Choice(["cross_correlation", "convolution"]),
              default="cross_correlation", show_default=True)
@click.option("--activation", type=click.Choice(["relu"]), default=None,
              help="Apply ReLU after the convolution.")
@click.option("--pool", type=click.Choice(["max", "avg"]), default=None,
              help="Then 2×2 pooling with stride 2.")
@click.option("--allow-zero", is_flag=True, help="With --activation relu: allow an input 0.")
@_output_options
def conv(seed, input_size, kernel_size, stride, padding, mode, activation, pool, allow_zero,
         output, answers_path):
    """A convolution exercise (seed 2.3 style), window by window.

    \b
    Example:
      nnsolve new conv --seed 3 --input-size 5 --kernel-size 3 --padding 1 --stride 2
    """
    from ..kinds.conv.generate import new_conv
    seed = _pick_seed(seed)
    size = _pair(input_size, "--input-size")
    ksize = _pair(kernel_size, "--kernel-size")
    extra = []
    for name, value, default in (("--input-size", input_size, "4"),
                                 ("--kernel-size", kernel_size, "2"),
                                 ("--stride", stride, 1), ("--padding", padding, 0),
                                 ("--mode", mode, "cross_correlation"),
                                 ("--activation", activation, None), ("--pool", pool, None)):
        if value != default:
            extra += [name, str(value)]
    extra += ["--allow-zero"] * allow_zero
    command = _command_line("conv", seed, extra)
    gen = new_conv(seed, size, ksize, stride, padding, mode, activation, pool, allow_zero,
                   command)
    _write(gen, output, answers_path, command)


@new.command(short_help="Max or average pooling of small whole numbers.")
@_seed_option
@click.option("--input-size", default="4", show_default=True, help="n or HxW.")
@click.option("--size", default="2", show_default=True, help="The window: n or HxW.")
@click.option("--stride", default=None, help="n or HxW.  [default: the size]")
@click.option("--padding", type=click.IntRange(0), default=0, show_default=True)
@click.option("--type", "type_", type=click.Choice(["max", "avg"]), default=None,
              help="Default: drawn from the seed.")
@click.option("--ceil-mode", is_flag=True, help="Round the output size up (PyTorch's rule).")
@click.option("--channels", type=click.IntRange(1, 4), default=1, show_default=True)
@_output_options
def pool(seed, input_size, size, stride, padding, type_, ceil_mode, channels, output,
         answers_path):
    """A pooling exercise, window by window (means with at most two decimals).

    \b
    Example:
      nnsolve new pool --seed 4 --type avg --input-size 5 --padding 1 --ceil-mode
    """
    from ..kinds.pool.generate import new_pool
    seed = _pick_seed(seed)
    extra = []
    for name, value, default in (("--input-size", input_size, "4"), ("--size", size, "2"),
                                 ("--stride", stride, None), ("--padding", padding, 0),
                                 ("--type", type_, None), ("--channels", channels, 1)):
        if value != default:
            extra += [name, str(value)]
    extra += ["--ceil-mode"] * ceil_mode
    command = _command_line("pool", seed, extra)
    gen = new_pool(seed, _pair(input_size, "--input-size"), _pair(size, "--size"),
                   _pair(stride, "--stride") if stride is not None else None, padding, type_,
                   ceil_mode, channels, command)
    _write(gen, output, answers_path, command)


@new.command(short_help="A small CNN stack: output shapes and parameter counts.")
@_seed_option
@click.option("--blocks", type=click.IntRange(1, 4), default=2, show_default=True,
              help="Convolution blocks (conv, ReLU, sometimes pooling) before the dense layer.")
@click.option("--channels", type=click.IntRange(1, 64), default=None,
              help="Input channels (default: 1 or 3).")
@click.option("--size", type=click.IntRange(4, 256), default=None,
              help="Input height and width (default: 8 to 32).")
@click.option("--residual", is_flag=True,
              help="Residual blocks (two 3×3 convolutions with batch norm, an identity or 1×1 "
                   "shortcut) instead of plain ones.")
@_output_options
def shape(seed, blocks, channels, size, residual, output, answers_path):
    """An output-size and parameter-count exercise (seed 2.2 style), or a residual stack.

    \b
    Example:
      nnsolve new shape --seed 1 --blocks 3 --size 32
      nnsolve new shape --seed 1 --residual --blocks 2
    """
    from ..kinds.shape.generate import new_shape
    seed = _pick_seed(seed)
    extra = []
    for name, value, default in (("--blocks", blocks, 2), ("--channels", channels, None),
                                 ("--size", size, None)):
        if value != default:
            extra += [name, str(value)]
    if residual:
        extra.append("--residual")
    command = _command_line("shape", seed, extra)
    gen = new_shape(seed, blocks, channels, size, command, residual=residual)
    _write(gen, output, answers_path, command)


@new.command(short_help="A p-norm penalty, its gradient and one step.")
@_seed_option
@click.option("--p", "p", type=click.Choice(["1", "2", "3"]), default=None,
              help="The norm's p (default: drawn from 1, 2, 3).")
@click.option("--count", type=click.IntRange(1, 12), default=3, show_default=True,
              help="How many weights.")
@_output_options
def regularize(seed, p, count, output, answers_path):
    """A regularization exercise (seed question 3 with numbers), with at least one negative
    weight so that |w| and sign(w) matter.

    \b
    Example:
      nnsolve new regularize --seed 2 --p 3
    """
    from ..kinds.regularize.generate import new_regularize
    seed = _pick_seed(seed)
    extra = (["--p", p] if p else []) + (["--count", str(count)] if count != 3 else [])
    command = _command_line("regularize", seed, extra)
    gen = new_regularize(seed, int(p) if p else None, count, command)
    _write(gen, output, answers_path, command)


@new.command(short_help="A computational graph of scalars (a circuit) to backpropagate.")
@_seed_option
@click.option("--circuit", type=click.IntRange(1, 8), default=None,
              help="Which circuit: 1 (x + y)·z, 2 (x·y + z)·w, 3 max(x·y, z)·w, 4 (x − y)² + z, "
                   "5 x·y·(x + z), 6 ReLU(w·x + b)·y, 7 (x + y)/z − x, 8 min(x, y)·z + x·x "
                   "(default: drawn).")
@_output_options
def graph(seed, circuit, output, answers_path):
    """A computational graph exercise with small whole inputs, every value and gradient clean,
    no max or min at a tie and no ReLU at 0.

    \b
    Example:
      nnsolve new graph --seed 3 --circuit 3 -o g.yaml --answers key.yaml
    """
    from ..kinds.graph.generate import new_graph
    seed = _pick_seed(seed)
    extra = ["--circuit", str(circuit)] if circuit else []
    command = _command_line("graph", seed, extra)
    gen = new_graph(seed, circuit, command)
    _write(gen, output, answers_path, command)
