"""Receptive fields through transposed convolutions, against first principles: which input cells
influence an output cell, found by pushing a unit impulse from every input cell through a plain
nested-loop implementation of the stack.

Each input cell i carries its own impulse as the bit 1 << i of a Python integer; a window's sum of
nonnegative impulses is nonzero exactly where one of them is, so the nested loops add with `|`
(a max pool is the same `|`). The layers act on each axis separately, so each axis is pushed
through the stack on its own, with that axis's kernel, stride, padding and dilation.
"""

import json

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.kinds.shape.solve import walk
from nnsolve.load import problem_from as load_problem


def conv_1d(x, k, s, pb, pa, d):
    """Output u sums the input's cells u·s − pb + t·d, t = 0 … k − 1 (padding cells are 0)."""
    n = (len(x) + pb + pa - d * (k - 1) - 1) // s + 1
    out = []
    for u in range(n):
        v = 0
        for t in range(k):
            i = u * s - pb + t * d
            if 0 <= i < len(x):
                v |= x[i]
        out.append(v)
    return out


def transposed_1d(x, k, s, pb, pa, d, op):
    """Input cell i adds into the full output's cells i·s + t·d; the first pb and the last
    pa − op of them are cut off (PyTorch's ConvTranspose)."""
    full = [0] * ((len(x) - 1) * s + d * (k - 1) + 1 + op)
    for i, v in enumerate(x):
        for t in range(k):
            full[i * s + t * d] |= v
    n = (len(x) - 1) * s - pb - pa + d * (k - 1) + op + 1
    return full[pb:pb + n]


def push(n, layers):
    """The impulse of each of n input cells through the stack: per output cell, its bits."""
    x = [1 << i for i in range(n)]
    for L in layers:
        if L["type"] == "conv_transpose":
            x = transposed_1d(x, L["k"], L["s"], L["pb"], L["pa"], L["d"], L["op"])
        else:
            x = conv_1d(x, L["k"], L["s"], L["pb"], L["pa"], L["d"])
    return x


def cells(bits):
    return [i for i in range(bits.bit_length()) if bits >> i & 1]


AXIS_LAYER = st.fixed_dictionaries({
    "type": st.sampled_from(["conv", "conv", "pool", "conv_transpose", "conv_transpose"]),
    "k": st.integers(1, 4), "s": st.integers(1, 3), "d": st.integers(1, 2),
    "pb": st.integers(0, 2), "pa": st.integers(0, 2), "op": st.integers(0, 2)})


def _legal(L):
    L = dict(L)
    if L["type"] == "pool":
        L["d"] = 1
        L["pb"] = L["pa"] = min(L["pb"], L["k"] // 2)     # a pool pads at most half its size
    if L["type"] != "conv_transpose":
        L["op"] = 0
    else:
        L["op"] = min(L["op"], max(L["s"], L["d"]) - 1)
    return L


def _yaml_layer(h, w):
    """One layer of a shape problem from its two axes' settings (a pool pads both sides
    alike)."""
    t = h["type"]
    if t == "pool":
        return (f"  - pool: {{type: max, size: [{h['k']}, {w['k']}], stride: [{h['s']}, {w['s']}],"
                f" padding: [{h['pb']}, {w['pb']}]}}\n")
    pad = f"[[{h['pb']}, {h['pa']}], [{w['pb']}, {w['pa']}]]"
    s = (f"  - {t}: {{filters: 1, kernel: [{h['k']}, {w['k']}], stride: [{h['s']}, {w['s']}], "
         f"padding: {pad}, dilation: [{h['d']}, {w['d']}]")
    if t == "conv_transpose":
        s += f", output_padding: [{h['op']}, {w['op']}]"
    return s + "}\n"


def _bound(layers):
    """A receptive field no output cell can exceed: each layer widens it by at most
    (k − 1)·d·(the strides of the convolutions and pools before it) plus its padding."""
    r, j = 1, 1
    for L in layers:
        r += ((L["k"] - 1) * L["d"] + L["pb"] + L["pa"]) * j
        if L["type"] != "conv_transpose":
            j *= L["s"]
    return r


def _shrink(layers):
    """The strides of the convolutions and pools: input cells per output cell, at most."""
    j = 1
    for L in layers:
        if L["type"] != "conv_transpose":
            j *= L["s"]
    return j


def check_axis(spans, layers, n, margin):
    """Every output cell whose impulses all come from at least ``margin`` cells inside the input
    (so no edge cut it off) is the span nnsolve gives, [lo, hi] or none; and there are some."""
    out = push(n, layers)
    if not any(out):      # a stride that skips every cell the next one picks: all bias
        assert spans.sizes() == {0}
        return {0}
    inner = [o for o, bits in enumerate(out)
             if bits and margin <= cells(bits)[0] and cells(bits)[-1] < n - margin]
    assert inner, "the test's input is too small to have an inside"
    seen_sizes = set()
    for o in range(inner[0], inner[-1] + 1):
        got = cells(out[o])
        want = spans.at(o)
        if not got:
            assert want is None, (o, want)
            seen_sizes.add(0)
            continue
        assert want is not None and (got[0], got[-1]) == want, (o, got, want)
        seen_sizes.add(got[-1] - got[0] + 1)
    return seen_sizes


FITTED: list = []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(AXIS_LAYER, AXIS_LAYER), min_size=1, max_size=4))
def test_spans_are_the_impulses_cells(stack):
    stack = [(_legal(h), _legal(dict(w, type=h["type"]))) for h, w in stack]
    for h, w in stack:
        if h["type"] == "pool":     # a pool pads both sides alike
            h["pa"], w["pa"] = h["pb"], w["pb"]
    hs, ws = [h for h, _ in stack], [w for _, w in stack]
    mh, mw = _bound(hs), _bound(ws)
    nh, nw = 3 * mh + 6 * _shrink(hs) + 6, 3 * mw + 6 * _shrink(ws) + 6
    text = f"kind: shape\ninput: [1, {nh}, {nw}]\nlayers:\n" + \
        "".join(_yaml_layer(h, w) for h, w in stack)
    try:
        results = walk(load_problem(text))
    except ProblemError as e:      # a stack whose sizes do not fit: not a case
        assert "in layer" in str(e) or "padding" in str(e), e
        FITTED.append(False)
        return
    FITTED.append(True)
    last = results[-1]
    for spans, layers, n, m, axis in ((last.spans[0], hs, nh, mh, 0),
                                      (last.spans[1], ws, nw, mw, 1)):
        sizes = check_axis(spans, layers, n, m)
        assert sizes == spans.sizes()
        if last.rf is not None:    # one number: it is every inside cell's
            assert sizes == {last.rf[axis]}


def test_most_random_stacks_fit():
    """The property above is not vacuous: most of its stacks are solved and compared."""
    assert FITTED and sum(FITTED) >= len(FITTED) // 2, (sum(FITTED), len(FITTED))


def test_a_hand_worked_stack():
    """conv 3, stride 2, padding 1: cell u sees [2u − 1, 2u + 1]. Then transposed 3, stride 2,
    padding 1: output 0 gets input cell 0 only (t = 1), output 1 gets 1 and 0 (t = 0, 2): the
    receptive fields alternate 3 and 5, the jump alternates 0 and 2."""
    problem = load_problem("kind: shape\ninput: [1, 16, 16]\nlayers:\n"
                           "  - conv: {filters: 1, kernel: 3, stride: 2, padding: 1}\n"
                           "  - conv_transpose: {filters: 1, kernel: 3, stride: 2, padding: 1, "
                           "output_padding: 1}\n")
    sp = walk(problem)[-1].spans[0]
    assert [sp.at(o) for o in range(4)] == [(-1, 1), (-1, 3), (1, 3), (1, 5)]
    assert sp.sizes() == {3, 5}
    assert walk(problem)[-1].rf is None


def test_stride_1_transposed_is_a_flipped_convolution():
    """With stride 1 a transposed convolution is a convolution: r ← r + (k − 1)·d·j, j kept."""
    problem = load_problem("kind: shape\ninput: [1, 16, 16]\nlayers:\n"
                           "  - conv: {filters: 1, kernel: 3, stride: 2}\n"
                           "  - conv_transpose: {filters: 1, kernel: 3, dilation: 2}\n")
    last = walk(problem)[-1]
    assert last.rf == (3 + 2 * 2 * 2,) * 2 and last.jump == (2, 2)


def test_strided_transposed_is_said_in_words_and_json(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text("kind: shape\ninput: [1, 16, 16]\nlayers:\n"
                 "  - conv: {filters: 1, kernel: 3, stride: 2, padding: 1}\n"
                 "  - conv_transpose: {filters: 1, kernel: 3, stride: 2, padding: 1, "
                 "output_padding: 1}\n"
                 "  - conv: {filters: 1, kernel: 2, stride: 2}\n")
    r = CliRunner().invoke(cli, ["shape", str(p)], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    assert "—" not in r.output
    assert "3 to 5" in r.output
    assert "not one number" in r.output
    data = json.loads(CliRunner().invoke(cli, ["shape", str(p), "--format", "json"]).output)
    t = data["layers"][1]
    assert t["receptive_field"] is None and t["jump"] is None
    assert t["receptive_field_range"] == [[3, 5], [3, 5]]
    # a stride-2 window over pairs of those cells lines them up again: 5 cells, jump 2
    assert data["layers"][2]["receptive_field"] == [5, 5] and data["layers"][2]["jump"] == [2, 2]


def test_a_receptive_field_can_be_one_number_while_the_jump_is_not(tmp_path):
    """Kernel 2, stride 2: each output cell gets exactly one input cell (3 cells of the input
    each), but neighbours are 0 or 2 input cells apart."""
    p = tmp_path / "t.yaml"
    p.write_text("kind: shape\ninput: [1, 16, 16]\nlayers:\n"
                 "  - conv: {filters: 1, kernel: 3, stride: 2, padding: 1}\n"
                 "  - conv_transpose: {filters: 1, kernel: 2, stride: 2}\n")
    data = json.loads(CliRunner().invoke(cli, ["shape", str(p), "--format", "json"]).output)
    t = data["layers"][1]
    assert t["receptive_field"] is None and t["jump"] is None
    assert t["receptive_field_range"] == [[3, 3], [3, 3]]
    sp = walk(load_problem(p.read_text()))[-1].spans[0]
    assert [sp.at(o) for o in range(4)] == [(-1, 1), (-1, 1), (1, 3), (1, 3)]
    text = " ".join(CliRunner().invoke(cli, ["shape", str(p)], env={"COLUMNS": "100"})
                    .output.split())
    assert "Here the receptive field is 3 input cells (the same for every cell), the jump 0 to " \
        "2, on average 1." in text
