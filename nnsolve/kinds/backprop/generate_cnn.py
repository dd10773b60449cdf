"""New CNN backprop exercises with clean numbers: image (C channels) → conv → activation →
pool (any size and stride) → flatten → dense layers → squared loss, one step
(``nnsolve new backprop --cnn``).

A blind draw is rarely clean (a ReLU input 0, a tie in a max-pool window, an average that is not
whole), so the search is built in three stages, each on nnsolve's own operations (ops/conv.py,
ops/pool.py, ops/dense.py, the activations), exact:

1. the convolution part: small whole input, kernels and biases, then a local search that redraws
   one number at a time while it does not make things worse, until no conv output is 0 (unless
   --allow-zero), every max-pool window has one maximum, every avg-pool window's sum divides by
   its count (a whole mean), every filter has an active unit and some unit is negative (so that
   the gate shows); the channels are drawn one after the other, so that one channel draws what
   the generator drew before it had channels (the same files for the same seeds);
2. the dense layers: whole weights, no hidden ReLU input 0; then the target is chosen from the
   output, y = ŷ − d with a small whole d ≠ 0, so that ∂J/∂ŷ is whole (even, or a multiple of the
   pool's count for avg pooling: the spread ∂J/∂h/4 stays whole); the loss is d² (or d²/2);
3. the whole problem written as YAML and solved by the real solver: kept when every value of its
   JSON is clean, no ReLU input is 0, no max-pool window ties and every layer learns (with
   η = 0.1 or 0.01, whichever keeps the updates to two decimals).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import numpy as np

from ...generating import (MAX_MAGNITUDE, Generated, GenerationError, header, is_clean, rng_for,
                           solve_text, yaml_number, yaml_value)
from .generate import OPTIMIZERS

# the limits of an exercise written out by hand
MAX_INPUT = 64           # input cells (8×8)
MAX_KERNEL = 5           # kernel height and width
MAX_FILTERS = 3
MAX_CONV_OUT = 64        # conv output cells, all filters
MAX_FLAT = 16            # inputs of the first dense layer
MAX_DENSE_LAYERS = 3
MAX_DENSE_WEIGHTS = 48
MAX_CHANNELS = 4
MAX_INPUT_CELLS = 100    # input numbers, all channels (4×5×5)
POOL = 2                 # the default pool: 2×2 windows, stride 2 (as `new conv --pool`)
LOSSES = ("squared_error", "half_squared_error")
MAX_STEPS = 2
CLEAN_OPTIMIZERS = ("sgd",)   # exact rules (--optimizer's names, as `new backprop` writes them)
REQUIRE_DESCENT = True

HARD = 1000             # the weight of a fault that makes no exercise (stage 1)
_RESTARTS = 100          # conv parts drawn afresh
_MOVES = 400             # one-number redraws of a conv part
_DENSE_TRIES = 40        # dense layers drawn per conv part


class _Net:
    """The sizes and operations of the exercise asked for (no numbers yet)."""

    def __init__(self, input_size, kernel_size, filters, stride, padding, pool, dense,
                 activation, loss, bias, allow_zero, mode, channels=1, pool_size=(POOL, POOL),
                 pool_stride=None, steps=1, optimizer=None):
        from ...ops.activations import activation_op
        from ...ops.conv import Conv
        from ...ops.pool import Pool
        from ...ops.registry import activation_class
        from ...sizes import conv_out
        from ..common import Activation
        self.C = channels
        self.H, self.W = input_size
        self.kh, self.kw = kernel_size
        self.ph, self.pw = pool_size
        self.psh, self.psw = pool_stride if pool_stride is not None else pool_size
        self.steps, self.optimizer = steps, optimizer
        self.multi = steps > 1
        if optimizer is not None and optimizer not in CLEAN_OPTIMIZERS:
            raise GenerationError(f"--optimizer {optimizer} divides by a square root, whose "
                                  f"values are not clean: a CNN exercise takes "
                                  f"{' or '.join(CLEAN_OPTIMIZERS)} (momentum 0.9), or plain "
                                  f"gradient descent")
        if steps < 1:
            raise GenerationError("expected at least 1 step")
        if steps > MAX_STEPS:
            raise GenerationError(
                f"--steps {steps}: a CNN exercise stays clean for at most {MAX_STEPS} steps "
                f"(every step but the last must move each weight by a whole number, and two "
                f"such steps practically never both lower the loss)")
        self.F, self.s, self.p = filters, stride, padding
        self.pool_type = None if pool in (None, "none") else pool
        self.dense = tuple(dense)
        self.activation, self.loss, self.bias = activation, loss, bias
        self.allow_zero, self.mode = allow_zero, mode
        cls = activation_class(activation)
        self.gated = cls.gated
        self.kinks = tuple(Fraction(k) for k in cls.kinks)   # inputs where f′ is a convention
        self.alpha = Fraction(1, 10) if "alpha" in cls.options else None
        self.act_spec = Activation(activation, self.alpha)
        self.act = activation_op(self.act_spec)
        if min(self.H, self.W, self.kh, self.kw, self.ph, self.pw, self.psh, self.psw) < 1:
            raise GenerationError("expected sizes of at least 1")
        if not 1 <= self.C <= MAX_CHANNELS:
            raise GenerationError(f"expected 1 to {MAX_CHANNELS} input channels, got {self.C}")
        if self.H * self.W > MAX_INPUT:
            raise GenerationError(f"expected an input of at most {MAX_INPUT} numbers (8×8) "
                                  f"for an exercise written out by hand, got {self.H}×{self.W}")
        if self.C * self.H * self.W > MAX_INPUT_CELLS:
            raise GenerationError(f"expected an input of at most {MAX_INPUT_CELLS} numbers "
                                  f"(4×5×5) for an exercise written out by hand, got "
                                  f"{self.C}×{self.H}×{self.W}")
        if max(self.kh, self.kw) > MAX_KERNEL:
            raise GenerationError(f"expected a kernel of at most {MAX_KERNEL}×{MAX_KERNEL}, "
                                  f"got {self.kh}×{self.kw}")
        if padding > min(self.kh, self.kw) - 1:
            # a wider padding makes windows of padding alone: outputs that are the bias alone
            raise GenerationError(f"expected a padding of at most {min(self.kh, self.kw) - 1} "
                                  f"(the kernel size − 1): more makes windows of padding alone")
        if self.kh > self.H + 2 * padding or self.kw > self.W + 2 * padding:
            raise GenerationError(f"the kernel ({self.kh}×{self.kw}) is larger than the input "
                                  f"({self.H + 2 * padding}×{self.W + 2 * padding} with its "
                                  f"padding)")
        self.conv = Conv(stride=(stride, stride), padding=((padding, padding), (padding, padding)),
                         mode=mode)
        self.Ho = conv_out(self.H, (padding, padding), self.kh, stride, 1)
        self.Wo = conv_out(self.W, (padding, padding), self.kw, stride, 1)
        if self.F * self.Ho * self.Wo > MAX_CONV_OUT:
            raise GenerationError(f"the conv layer has {self.F}×{self.Ho}×{self.Wo} outputs; at "
                                  f"most {MAX_CONV_OUT} for an exercise written out by hand "
                                  f"(a smaller --input-size, fewer --filters or a larger "
                                  f"--stride)")
        self.pool = None
        self.count = 1           # what an avg pool divides by (1: nothing)
        self._windows = []
        if self.pool_type is not None:
            if max(self.ph, self.pw) > MAX_KERNEL:
                raise GenerationError(f"expected a pool of at most {MAX_KERNEL}×{MAX_KERNEL}, "
                                      f"got {self.ph}×{self.pw}")
            if self.Ho < self.ph or self.Wo < self.pw:
                raise GenerationError(f"the conv output ({self.Ho}×{self.Wo}) is smaller than "
                                      f"the {self.ph}×{self.pw} pool: a larger --input-size, a "
                                      f"smaller --pool-size, or --pool none")
            self.pool = Pool(self.pool_type, (self.ph, self.pw), (self.psh, self.psw))
            if self.pool_type == "avg":
                self.count = self.ph * self.pw
            self.Po, self.Pw = self.pool.out_size(self.Ho, self.Wo)
            self._windows = [w.cells for w in self.pool.windows(self.Ho, self.Wo)]
        else:
            self.Po, self.Pw = self.Ho, self.Wo
        self.flat = self.F * self.Po * self.Pw
        if self.flat > MAX_FLAT:
            raise GenerationError(f"flatten gives {self.flat} inputs to the dense layer; at most "
                                  f"{MAX_FLAT} for an exercise written out by hand (pool, or a "
                                  f"smaller input)")
        if not self.dense or any(n < 1 for n in self.dense):
            raise GenerationError("expected the dense layers' units after flatten, such as 1 "
                                  "or 2,1")
        if len(self.dense) > MAX_DENSE_LAYERS:
            raise GenerationError(f"expected at most {MAX_DENSE_LAYERS} dense layers after "
                                  f"flatten, got {len(self.dense)}")
        sizes = (self.flat,) + self.dense
        if sum(a * b for a, b in zip(sizes, sizes[1:])) > MAX_DENSE_WEIGHTS:
            raise GenerationError(f"too many dense weights for an exercise written out by hand "
                                  f"(at most {MAX_DENSE_WEIGHTS})")
        if loss not in LOSSES:
            raise GenerationError(f"expected the loss {' or '.join(LOSSES)}: the others are not "
                                  f"clean")
        if mode == "convolution" and self.kh == 1 and self.kw == 1:
            raise GenerationError("a 1×1 kernel is the same flipped: a convolution needs a "
                                  "larger --kernel-size")
        if self.multi and self.alpha is not None:
            raise GenerationError(f"--steps {steps} with --activation {activation}: its slope "
                                  f"0.1 makes the first update tenths, and the next step's "
                                  f"products have more than two decimals (relu, relu6 or "
                                  f"linear keep them clean)")
        if self.multi and self.dense[-1] > 1:
            # measured: no exercise in 3 seeds × 4000 networks
            raise GenerationError(f"--steps {steps} with {self.dense[-1]} output units: whole "
                                  f"first updates (ŷ − y = 1/(2η) for each unit) keep the loss "
                                  f"within {MAX_MAGNITUDE} only at η ≥ 0.05, where the first "
                                  f"step practically never lowers it; end --layers with 1")
        self.room = max((m for _eta, m in self.rates()), default=0)
        if self.multi and not self.rates():
            factor = 2 if loss == "squared_error" else 1
            e = self.count * 10 // factor        # at η = 0.1, the largest clean rate
            raise GenerationError(f"--steps {steps} with a {self.ph}×{self.pw} average pool: "
                                  f"whole first updates need ŷ − y a multiple of {e}, a loss "
                                  f"of at least {Fraction(e * e * factor, 2)} (over "
                                  f"{MAX_MAGNITUDE}; a 2×2 pool or max keeps it below)")

    # --- stage 1: the convolution part --------------------------------------------------------

    def conv_forward(self, x, K, b):
        """(a, h, pooled) of one image x (C×H×W): F×Ho×Wo, F×Ho×Wo, F×Po×Pw, exact for exact
        arrays (float64 ones, exact for the whole numbers of a conv part, screen faster)."""
        p = {"K": K, "b": b}
        a = self.conv.forward(x[None], p)[0]
        h = self.act.forward(a, {})[0]
        pooled = self.pool.forward(h) if self.pool is not None else h
        return a[0], h[0], pooled[0]

    # the numbers drawn: small; smaller for two steps, whose first update moves each parameter
    # by its whole ∂ŷ/∂θ (see two_steps), so that G stays below 2m

    def draw_input(self, rng) -> int:
        return rng.choice([-1, 0, 1, 2]) if self.multi else rng.randint(-2, 4)

    def draw_kernel(self, rng) -> int:
        return rng.choice([-1, 0, 1]) if self.multi else rng.choice([-1, 0, 1, 2])

    def draw_weight(self, rng) -> int:
        return rng.choice([-1, 1]) if self.multi else rng.choice([-2, -1, 1, 2])

    def draw_bias(self, rng) -> int:
        return rng.randint(-1, 1) if self.multi else rng.randint(-2, 2)

    def conv_faults(self, x, K, b) -> int:
        """How far a conv part is from what stage 1 asks (0: there), screened in float64 (the
        written problem is solved exactly in stage 3). An average that is clean but not whole
        (2.75) counts 1; every other fault counts ``HARD``."""
        faults = 0
        for f in range(self.F):
            k = K[f]
            if not k.any():
                faults += HARD
            if self.mode == "convolution" and (k == k[:, ::-1, ::-1]).all():
                faults += HARD     # a kernel the flip leaves alone does not show the flip
        a, h, pooled = self.conv_forward(x, K, None if b is None else b)
        faults += HARD * int((np.abs(a) > 40).sum())
        if self.multi and float((pooled.astype(float) ** 2).sum()) >= 2 * self.room:
            faults += HARD     # Σ (∂ŷ/∂W)² alone is G's share: the loss would go up
        if self.kinks and not self.allow_zero:
            faults += HARD * int(np.isin(a, [float(k) for k in self.kinks]).sum())
        if self.gated:
            if self.Ho * self.Wo > 1 and not (a < 0).any():
                faults += HARD     # some unit below 0: the gate shows
            if self.alpha is None:
                # a filter that passes nothing on learns nothing (leaky ReLU's slope passes)
                faults += HARD * int((pooled.reshape(self.F, -1) <= 0).all(axis=1).sum())
        if self.pool is not None:
            cells = np.stack([h[:, r, c] for w in self._windows for r, c in w], axis=-1)
            cells = cells.reshape(self.F, len(self._windows), -1)      # F × windows × cells
            if self.pool_type == "max":
                top = cells.max(axis=-1, keepdims=True)
                faults += HARD * int((cells == top).sum(axis=-1).sum()
                                     - cells.shape[0] * cells.shape[1])     # ties
            else:
                # a whole mean (a tenth with leaky ReLU's 0.1 slope); else at least a clean one
                q = cells.sum(axis=-1) * (10 if self.alpha is not None else 1) / cells.shape[-1]
                # (several steps: whole, so that the first update of the dense weights is)
                faults += (HARD if self.multi else 1) * \
                    int((np.abs(q - np.round(q)) > 1e-9).sum())
                q100 = q * (10 if self.alpha is not None else 100)
                faults += HARD * int((np.abs(q100 - np.round(q100)) > 1e-6).sum())
        return faults

    def draw_conv(self, rng):
        """A conv part (x, K, b) that stage 1 accepts, or None."""
        # (drawn channel by channel, so that one channel draws what it always drew)
        x = np.stack([_grid(rng, self.H, self.W, self.draw_input) for _ in range(self.C)])
        K = np.empty((self.F, self.C, self.kh, self.kw), dtype=object)
        for f in range(self.F):
            for c in range(self.C):
                K[f, c] = _grid(rng, self.kh, self.kw, self.draw_kernel)
        b = _vec([self.draw_bias(rng) for _ in range(self.F)]) if self.bias else None
        x, K = x.astype(float), K.astype(float)
        b = b.astype(float) if b is not None else None
        faults = self.conv_faults(x, K, b)
        for _ in range(_MOVES):
            if faults == 0:
                break
            r = rng.random()
            if r < 0.6:
                c = rng.randrange(self.C) if self.C > 1 else 0
                i, j = rng.randrange(self.H), rng.randrange(self.W)
                old, x[c, i, j] = x[c, i, j], self.draw_input(rng)
                undo = (x, (c, i, j), old)
            elif r < 0.9 or b is None:
                f = rng.randrange(self.F)
                c = rng.randrange(self.C) if self.C > 1 else 0
                i, j = rng.randrange(self.kh), rng.randrange(self.kw)
                old, K[f, c, i, j] = K[f, c, i, j], self.draw_kernel(rng)
                undo = (K, (f, c, i, j), old)
            else:
                f = rng.randrange(self.F)
                old, b[f] = b[f], self.draw_bias(rng)
                undo = (b, (f,), old)
            new = self.conv_faults(x, K, b)
            if new <= faults:
                faults = new
            else:
                arr, idx, old = undo
                arr[idx] = old
        if faults >= HARD:
            return None
        # (clean averages that are not whole where the search found no whole ones: the target
        # keeps the gradients whole, see draw_dense)
        return _exact(x), _exact(K), None if b is None else _exact(b)

    # --- stage 2: the dense layers and the target --------------------------------------------

    def draw_dense(self, rng, pooled):
        """(weights, biases, y) for the dense layers on the flattened ``pooled``, or None."""
        h = pooled.reshape(1, -1)
        sizes = (self.flat,) + self.dense
        weights, biases = [], []
        from ...ops.dense import Dense
        n = len(self.dense)
        for li, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            W = _grid(rng, n_out, n_in, self.draw_weight)
            b = _vec([self.draw_bias(rng) for _ in range(n_out)]) if self.bias else None
            a = Dense().forward(h, {"W": W, "b": b})[0]
            av = a.ravel().tolist()
            if any(abs(v) > 200 for v in av):
                return None
            if li < n - 1:
                if not self.allow_zero and any(v in self.kinks for v in av) or \
                        self.gated and self.alpha is None and not any(v > 0 for v in av):
                    return None
                if self.alpha is not None and any(v < 0 for v in av):
                    # a slope of 0.1 here and on the conv layer makes hundredths of hundredths
                    # in the gradients below: the conv layer shows leaky ReLU's slope
                    return None
                h = self.act.forward(a, {})[0]
            else:
                h = a
            weights.append(W)
            biases.append(b)
        return weights, biases, h[0].tolist()

    def draw_target(self, rng, yhat):
        """y = ŷ − d with a small whole d ≠ 0 (one step): ∂J/∂ŷ = 2d (or d) is whole, and for
        avg pooling a multiple of the window's count so that the gradient it spreads stays
        whole."""
        factor = 2 if self.loss == "squared_error" else 1
        need = self.count
        reach = max(4, need // gcd(need, factor))
        ds = [d for d in range(-reach, reach + 1) if d != 0 and (factor * d) % need == 0]
        return [v - rng.choice(ds) for v in yhat]

    # --- two steps ------------------------------------------------------------------------------
    #
    # The second step's numbers stay clean only when the first moves every parameter by a whole
    # number (a kernel weight of one decimal times a pooled value of one decimal, times a dense
    # weight of one decimal, has more than two). With y = ŷ − e, ∂J/∂θ = factor·e·∂ŷ/∂θ, and
    # the first update η·factor·e·∂ŷ/∂θ is whole when s = η·factor·e is a multiple of the
    # average pool's count (1 for max): e = s·m with m = 1/(η·factor), the smallest such s (the
    # smallest step, θ moves by ∂ŷ/∂θ·count). To first order ŷ then moves by −s·G, with
    # G = Σθ (∂ŷ/∂θ)², and the loss goes down when G < 2m: η = 0.02 (m = 25 for the squared
    # error) leaves the most room, η = 0.1 the smallest numbers; the real solve decides.

    def rates(self):
        """(η as written, m) of the learning rates that can make whole first updates, the
        first loss, e² for each output unit (e²/2 for half the squared error), within
        MAX_MAGNITUDE."""
        factor = 2 if self.loss == "squared_error" else 1
        out = []
        for eta in ("0.1", "0.05", "0.02"):
            m = 1 / (Fraction(eta) * factor)
            e = self.count * m
            if m.denominator == 1 and self.dense[-1] * e * e * factor / 2 <= MAX_MAGNITUDE:
                out.append((eta, int(m)))
        return out

    def two_steps(self, rng, command, seed, x, K, b, weights, biases, yhat):
        """(text, data) of a clean exercise of two steps on this network, or None."""
        factor = 2 if self.loss == "squared_error" else 1
        sign = [rng.choice([1, -1]) for _ in yhat]
        for sigma in (sign, [-v for v in sign]):
            # one step at y = ŷ − σ: ∂J/∂θ = factor·Σⱼ σⱼ·∂ŷⱼ/∂θ, so G; and the first update
            # of y = ŷ − count·m·σ, count/factor times this gradient whatever η
            probe = self.text(command, seed, x, K, b, weights, biases,
                              [v - sv for v, sv in zip(yhat, sigma)], "0.1", steps=1)
            step = solve_text(probe, "backprop")[1].data["steps"][0]
            grads = [{key: np.asarray(layer[key], dtype=object)
                      for key in ("dJ_dK", "dJ_db", "dJ_dW") if layer.get(key) is not None}
                     for layer in step["layers"]]
            G = sum(v * v for g in grads for a in g.values() for v in a.ravel().tolist())
            G /= factor * factor
            if G >= 2 * self.room:
                continue            # to first order the loss would go up at every η
            scale = Fraction(self.count, factor)
            conv = grads[0]
            K2 = K - scale * conv["dJ_dK"]
            b2 = None if b is None else b - scale * conv["dJ_db"]
            dense = [g for g, layer in zip(grads, step["layers"]) if layer["type"] == "dense"]
            W2 = [W - scale * g["dJ_dW"] for W, g in zip(weights, dense)]
            B2 = [None if bb is None else bb - scale * g["dJ_db"] for bb, g in zip(biases, dense)]
            yhat2 = self.second_forward(x, K2, b2, W2, B2)
            if yhat2 is None:
                continue            # a kink input or a max-pool tie in the second step
            for eta, m in self.rates():
                if G >= 2 * m:
                    continue
                e = self.count * m
                y = [v - e * sv for v, sv in zip(yhat, sigma)]
                e2 = [p - t for p, t in zip(yhat2, y)]
                if not 0 < sum(v * v for v in e2) < len(e2) * e * e:
                    continue        # the loss of the second step: not 0, lower than the first
                text = self.text(command, seed, x, K, b, weights, biases, y, eta)
                data = self.solved_ok(text)
                if data is not None:
                    return text, data
        return None

    def second_forward(self, x, K, b, weights, biases):
        """ŷ of the second step's parameters (exact), or None when a conv or hidden dense unit
        is at a kink (unless --allow-zero) or a max-pool window ties."""
        from ...ops.dense import Dense
        a, h, pooled = self.conv_forward(x, K, b)
        if self.kinks and not self.allow_zero and \
                any(v in self.kinks for v in a.ravel().tolist()):
            return None
        if self.pool_type == "max":
            for f in range(self.F):
                for w in self._windows:
                    cells = [h[f][c] for c in w]
                    if cells.count(max(cells)) > 1:
                        return None
        h = pooled.reshape(1, -1)
        for li, (W, bb) in enumerate(zip(weights, biases)):
            a = Dense().forward(h, {"W": W, "b": bb})[0]
            if li < len(weights) - 1:
                if not self.allow_zero and any(v in self.kinks for v in a.ravel().tolist()):
                    return None
                h = self.act.forward(a, {})[0]
            else:
                h = a
        return h[0].tolist()

    # --- stage 3: the problem, solved ---------------------------------------------------------

    def text(self, command, seed, x, K, b, weights, biases, y, lr, steps=None) -> str:
        steps = self.steps if steps is None else steps
        pool = f"{self.pool_type} pool → " if self.pool is not None else ""
        lines = [header(command).rstrip("\n"), "kind: backprop",
                 f'title: "A convolutional network: conv → {self.activation} → {pool}flatten → '
                 f'dense (exercise {seed})"']
        if self.C == 1:
            lines += _rows("input", x[0].tolist(), "")
        else:
            lines.append("input:")
            for ch in x.tolist():
                lines += _rows("", ch, "  - ")
        lines.append(f"target: {yaml_value(y) if len(y) > 1 else yaml_number(y[0])}")
        lines += ["layers:", "  - conv:"]
        if self.C == 1 and self.F == 1:
            lines.append(f"      kernel: {yaml_value(K[0, 0])}")
        elif self.C == 1:
            lines.append("      kernels:")
            lines += [f"        - {yaml_value(K[f, 0])}" for f in range(self.F)]
        elif self.F == 1:       # one kernel of C channels: a channel a line
            lines.append("      kernel:")
            lines += [f"        - {yaml_value(K[0, c])}" for c in range(self.C)]
        else:                   # F kernels of C channels each: a kernel an item, a channel a line
            lines.append("      kernels:")
            for f in range(self.F):
                lines += _rows("", [K[f, c].tolist() for c in range(self.C)], "        - ")
        if b is not None:
            lines.append(f"      bias: {yaml_value(b)}")
        lines += [f"      stride: {self.s}", f"      padding: {self.p}"]
        if self.mode != "cross_correlation":
            lines.append(f"      mode: {self.mode}")
        lines.append(f"    activation: {self._act_text()}")
        if self.pool is not None:
            lines.append(f"  - pool: {{type: {self.pool_type}, size: {_pair(self.ph, self.pw)}, "
                         f"stride: {_pair(self.psh, self.psw)}}}")
        lines.append("  - flatten")
        for li, W in enumerate(weights):
            lines.append(f"  - weights: {yaml_value(W)}")
            if biases[li] is not None:
                lines.append(f"    bias: {yaml_value(biases[li])}")
            lines.append(f"    activation: "
                         f"{self._act_text() if li < len(weights) - 1 else 'linear'}")
        lines += [f"loss: {self.loss}", f"learning_rate: {lr}"]
        if self.optimizer is not None:
            lines.append(f"optimizer: {OPTIMIZERS[self.optimizer]}")
        if steps > 1:
            lines.append(f"steps: {steps}")
        return "\n".join(lines) + "\n"

    def _act_text(self) -> str:
        if self.alpha is not None:
            return f"{{name: {self.activation}, alpha: {yaml_number(self.alpha)}}}"
        return self.activation

    def solved_ok(self, text: str):
        """The solution's data when the written problem is clean and worth working, else None:
        every value of every step clean, no kink input nor max-pool tie in any step, a loss
        in every step, every layer learning in the first, and with several steps a loss that
        goes down at each."""
        problem, sol = solve_text(text, "backprop")
        data = sol.data
        if not is_clean(data):
            return None
        losses = [step["loss"] for step in data["steps"]]
        if 0 in losses:
            return None
        if REQUIRE_DESCENT and any(b >= a for a, b in zip(losses, losses[1:])):
            return None
        for k, step in enumerate(data["steps"]):
            for layer, spec in zip(step["layers"], problem.layers):
                t = layer["type"]
                if k == 0 and t == "conv":
                    dK = np.asarray(layer["dJ_dK"], dtype=object)
                    if any(all(v == 0 for v in dK[f].ravel().tolist()) for f in range(self.F)):
                        return None         # a filter that learns nothing teaches nothing
                elif k == 0 and t == "dense":
                    if all(v == 0 for v in np.asarray(layer["dJ_dW"]).ravel().tolist()):
                        return None
                if t in ("conv", "dense") and not self.allow_zero and \
                        spec.activation.name == self.activation and \
                        any(v in self.kinks for v in np.asarray(layer["a"]).ravel().tolist()):
                    return None
                if t == "pool" and self.pool_type == "max":
                    h_in = np.asarray(step["layers"][0]["h"], dtype=object)
                    for f in range(self.F):
                        for w in self.pool.windows(self.Ho, self.Wo):
                            cells = [h_in[f][c] for c in w.cells]
                            if cells.count(max(cells)) > 1:
                                return None
        return data


def _exact(a):
    """A float64 array of whole numbers as an exact one."""
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [Fraction(int(v)) for v in a.ravel().tolist()]
    return out


def _grid(rng, rows, cols, draw):
    a = np.empty((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            a[i, j] = Fraction(draw(rng))
    return a


def _pair(h: int, w: int) -> str:
    return str(h) if h == w else f"[{h}, {w}]"


def _vec(values):
    a = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        a[i] = Fraction(v)
    return a


def _rows(key: str, rows: list, pad: str) -> list:
    """A matrix as YAML flow rows, one per line, aligned under the first: the image as it is
    (``key: [`` the mapping's value, or with no key the item of a list that ``pad`` begins)."""
    lead = f"{pad}{key}: [" if key else f"{pad}["
    out = []
    for i, r in enumerate(rows):
        text = yaml_value(r) + ("]" if i == len(rows) - 1 else ",")
        out.append((lead if i == 0 else " " * len(lead)) + text)
    return out


def new_cnn(seed: int, input_size=(5, 5), kernel_size=(2, 2), filters: int = 1,
            stride: int = 1, padding: int = 0, pool: str | None = "max", dense=(1,),
            activation: str = "relu", loss: str = "squared_error", bias: bool = False,
            allow_zero: bool = False, mode: str = "cross_correlation",
            command: str | None = None, channels: int = 1, pool_size=(POOL, POOL),
            pool_stride=None, steps: int = 1, optimizer: str | None = None) -> Generated:
    """A CNN backprop exercise whose every value in the solution is clean: ``channels`` input
    channels, a ``pool_size`` pool moved by ``pool_stride`` (default: its size), ``steps`` steps
    of gradient descent (or of SGD with momentum, ``optimizer="sgd"``)."""
    net = _Net(input_size, kernel_size, filters, stride, padding, pool, dense, activation, loss,
               bias, allow_zero, mode, channels, pool_size, pool_stride, steps, optimizer)
    rng = rng_for("backprop-cnn", seed)
    command = command or f"nnsolve new backprop --cnn --seed {seed}"
    for _ in range(_RESTARTS):
        conv = net.draw_conv(rng)
        if conv is None:
            continue
        x, K, b = conv
        pooled = net.conv_forward(x, K, b)[2]
        for _ in range(_DENSE_TRIES):
            drawn = net.draw_dense(rng, pooled)
            if drawn is None:
                continue
            weights, biases, yhat = drawn
            if net.multi:
                found = net.two_steps(rng, command, seed, x, K, b, weights, biases, yhat)
                if found is not None:
                    return Generated("backprop", *found)
                continue
            y = net.draw_target(rng, yhat)
            eta = rng.choice(["0.1", "0.01"])
            for lr in (eta, "0.01" if eta == "0.1" else "0.1"):
                text = net.text(command, seed, x, K, b, weights, biases, y, lr)
                data = net.solved_ok(text)
                if data is not None:
                    return Generated("backprop", text, data)
    raise GenerationError(f"no clean CNN backprop problem found in {_RESTARTS} tries; try "
                          "another --seed, smaller sizes, or --allow-zero")
