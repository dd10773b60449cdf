"""nnsolve shape for real architectures: batch norm, groups, residual blocks, repeat, receptive
fields and multiply-accumulates, against independent counts and published totals."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli
from nnsolve.load import load_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import RenderOptions, render
from nnsolve.solve import SolveOptions, solve
from nnsolve.kinds.shape.spec import parse

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def stack(yaml_text):
    return solve(parse(doc_from_text(yaml_text, "stack.yaml"))).data


def error_of(r):
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


# --- an independent reference: the tensors PyTorch would allocate, and intervals ------------

def out_size(i, k, s, p, d):
    """Count the window positions one by one (no formula)."""
    n, start = 0, -p
    while start + d * (k - 1) <= i - 1 + p:
        n += 1
        start += s
    return n


def reference(input_shape, layers):
    """Shapes, parameters (the sizes of the weight tensors, (F, C/G, kh, kw) and (F,) for a
    convolution, (C,) twice for batch norm) and MACs (multiplications counted in loops over
    the output), for a list of plain dicts; a residual is {"residual": (layers, shortcut)}."""
    shape, params, macs = tuple(input_shape), 0, 0
    for L in layers:
        if "residual" in L:
            main, short = L["residual"]
            s1, p1, m1 = reference(shape, main)
            s2, p2, m2 = reference(shape, short) if short else (shape, 0, 0)
            assert s1 == s2
            shape, params, macs = s1, params + p1 + p2, macs + m1 + m2
            continue
        t = L["type"]
        if t == "conv":
            C, H, W = shape
            F, k, s, p, d, g = L["filters"], L["kernel"], L["stride"], L["padding"], \
                L["dilation"], L["groups"]
            Ho, Wo = out_size(H, k, s, p, d), out_size(W, k, s, p, d)
            weight = [F, C // g, k, k]
            n = 1
            for dim in weight:
                n *= dim
            params += n + (F if L["bias"] else 0)
            for _f in range(F):
                for _y in range(Ho):
                    for _x in range(Wo):
                        macs += (C // g) * k * k
            shape = (F, Ho, Wo)
        elif t == "pool":
            C, H, W = shape
            shape = (C, out_size(H, L["size"], L["size"], 0, 1),
                     out_size(W, L["size"], L["size"], 0, 1))
        elif t == "batchnorm":
            params += len(["gamma", "beta"]) * shape[0]
        elif t == "gap":
            shape = (shape[0], 1, 1)
        elif t == "flatten":
            n = 1
            for dim in shape:
                n *= dim
            shape = (n,)
        elif t == "dense":
            params += shape[0] * L["units"] + L["units"]
            for _u in range(L["units"]):
                macs += shape[0]
            shape = (L["units"],)
    return shape, params, macs


def span(layers, input_shape):
    """Receptive field and jump of output cells 0 and 1 along the main path, by taking each
    layer's window backwards from the last layer to the input: cell x of a layer sees cells
    x·s − p … x·s − p + d(k − 1) of its input."""
    windows, _shape = span_windows(layers, tuple(input_shape))
    lo0 = hi0 = 0
    lo1 = hi1 = 1
    for k, s, p, d in reversed(windows):
        lo0, hi0 = lo0 * s - p, hi0 * s - p + d * (k - 1)
        lo1, hi1 = lo1 * s - p, hi1 * s - p + d * (k - 1)
    return hi0 - lo0 + 1, lo1 - lo0


def span_windows(layers, shape):
    """(k, s, p, d) of each layer that has a window, along the main path; and the shape after."""
    out = []
    for L in layers:
        if "residual" in L:
            inner, _ = span_windows(L["residual"][0], shape)
            out += inner
        elif L["type"] == "conv":
            out.append((L["kernel"], L["stride"], L["padding"], L["dilation"]))
        elif L["type"] == "pool":
            out.append((L["size"], L["size"], 0, 1))
        elif L["type"] == "gap":      # one window of the whole map
            out.append((shape[1], shape[1], 0, 1))
        shape = reference(shape, [L])[0]
    return out, shape


def to_yaml(layers, depth=1) -> list[str]:
    pad = "  " * depth
    lines = []
    for L in layers:
        if "residual" in L:
            main, short = L["residual"]
            lines.append(f"{pad}- residual:")
            lines.append(f"{pad}    layers:")
            lines += to_yaml(main, depth + 3)
            if short:
                lines.append(f"{pad}    shortcut:")
                lines += to_yaml(short, depth + 3)
            continue
        t = L["type"]
        if t == "conv":
            lines.append(f"{pad}- conv: {{filters: {L['filters']}, kernel: {L['kernel']}, "
                         f"stride: {L['stride']}, padding: {L['padding']}, dilation: "
                         f"{L['dilation']}, groups: {L['groups']}, bias: "
                         f"{'true' if L['bias'] else 'false'}}}")
        elif t == "pool":
            lines.append(f"{pad}- pool: {{type: max, size: {L['size']}}}")
        elif t == "gap":
            lines.append(f"{pad}- global_avg_pool")
        elif t == "dense":
            lines.append(f"{pad}- dense: {{units: {L['units']}}}")
        else:
            lines.append(f"{pad}- {t}")
    return lines


@st.composite
def stacks(draw):
    """A valid random stack: convolutions (grouped, dilated, strided), pools, batch norm,
    activations, dropout, residual blocks (identity or a 1×1 shortcut), then a head."""
    C = draw(st.integers(1, 4))
    H = draw(st.integers(6, 20))
    shape = (C, H, H)
    layers = []

    def conv(shape, same=False):
        C, H, _ = shape
        g = draw(st.sampled_from([g for g in (1, 2, C) if C % g == 0]))
        F = C if same else g * draw(st.integers(1, 3))
        k = draw(st.sampled_from([1, 3])) if same else draw(st.integers(1, 4))
        d = 1 if same else draw(st.integers(1, 2))
        s = 1 if same else draw(st.integers(1, 2))
        p = (k - 1) // 2 if same else draw(st.integers(0, 1))
        if d * (k - 1) + 1 > H + 2 * p:
            return None
        L = {"type": "conv", "filters": F, "kernel": k, "stride": s, "padding": p,
             "dilation": d, "groups": g, "bias": draw(st.booleans())}
        return L, reference(shape, [L])[0]

    for _ in range(draw(st.integers(1, 5))):
        what = draw(st.sampled_from(["conv", "conv", "pool", "bn", "act", "residual",
                                     "residual_proj"]))
        if what == "conv":
            got = conv(shape)
            if got:
                layers.append(got[0])
                shape = got[1]
        elif what == "pool" and shape[1] >= 2:
            layers.append({"type": "pool", "size": 2})
            shape = reference(shape, [layers[-1]])[0]
        elif what == "bn":
            layers.append({"type": "batchnorm"})
        elif what == "act":
            layers.append({"type": draw(st.sampled_from(["relu", "tanh", "dropout"]))})
        elif what == "residual":
            main = []
            s = shape
            for _ in range(draw(st.integers(1, 3))):
                got = conv(s, same=True)
                main.append(got[0])
                main.append({"type": "batchnorm"})
            layers.append({"residual": (main, None)})
        elif what == "residual_proj" and shape[1] >= 3:
            F = draw(st.integers(1, 5))
            main = [{"type": "conv", "filters": F, "kernel": 3, "stride": 2, "padding": 1,
                     "dilation": 1, "groups": 1, "bias": False}, {"type": "relu"}]
            short = [{"type": "conv", "filters": F, "kernel": 1, "stride": 2, "padding": 0,
                      "dilation": 1, "groups": 1, "bias": False}, {"type": "batchnorm"}]
            layers.append({"residual": (main, short)})
            shape = reference(shape, [layers[-1]])[0]
    if draw(st.booleans()):
        layers.append({"type": "gap"})
    layers += [{"type": "flatten"}, {"type": "dense", "units": draw(st.integers(1, 10))}]
    return (C, H, H), layers


@settings(max_examples=120, deadline=None)
@given(stacks())
def test_random_stacks_against_an_independent_count(case):
    input_shape, layers = case
    text = "kind: shape\ninput: [" + ", ".join(map(str, input_shape)) + "]\nlayers:\n" + \
        "\n".join(to_yaml(layers)) + "\n"
    d = stack(text)
    shape, params, macs = reference(input_shape, layers)
    assert d["output_shape"] == list(shape)
    assert d["total_parameters"] == params
    assert d["total_macs"] == macs
    # the receptive field just before flatten: the windows taken backwards
    before = layers[:-2]
    r, j = span(before, input_shape)
    last = d["layers"][len(before) - 1] if before else None
    if last is not None:
        assert last["receptive_field"] == [r, r]
        assert last["jump"] == [j, j]
    assert d["layers"][-1]["receptive_field"] is None
    # every renderer renders it
    sol = solve(parse(doc_from_text(text, "stack.yaml")))
    for fmt in ("text", "markdown", "latex"):
        assert render(sol, fmt, RenderOptions())


# --- published totals -----------------------------------------------------------------------

def resnet_yaml(blocks_per_stage) -> str:
    """ResNet-18/34 from its definition (He et al. 2015, torchvision's BasicBlock)."""
    lines = ["kind: shape", "input: [3, 224, 224]", "layers:",
             "  - conv: {filters: 64, kernel: 7, stride: 2, padding: 3, bias: false}",
             "  - batchnorm", "  - relu", "  - pool: {type: max, size: 3, stride: 2, padding: 1}"]
    for stage, n in enumerate(blocks_per_stage):
        c = 64 * 2 ** stage
        for b in range(n):
            down = stage > 0 and b == 0
            lines += ["  - residual:", "      layers:",
                      f"        - conv: {{filters: {c}, kernel: 3, stride: {2 if down else 1}, "
                      "padding: 1, bias: false}", "        - batchnorm", "        - relu",
                      f"        - conv: {{filters: {c}, kernel: 3, padding: 1, bias: false}}",
                      "        - batchnorm"]
            if down:
                lines += ["      shortcut:",
                          f"        - conv: {{filters: {c}, kernel: 1, stride: 2, bias: false}}",
                          "        - batchnorm"]
            lines.append("      activation: relu")
    lines += ["  - global_avg_pool", "  - flatten", "  - dense: {units: 1000}"]
    return "\n".join(lines) + "\n"


def test_resnet18_file_is_torchvisions_count_and_cost():
    d = solve(load_problem(str(PROBLEMS / "resnet18.yaml"))).data
    assert d["total_parameters"] == 11_689_512        # torchvision resnet18
    assert round(d["total_macs"] / 1e9, 3) == 1.814    # torchvision's published 1.814 G
    assert d["output_shape"] == [1000]
    # the same network written block by block (no repeat) gives the same
    assert stack(resnet_yaml([2, 2, 2, 2])) == d
    # the last conv sees 435 × 435 input cells, 32 apart
    assert d["layers"][-4]["receptive_field"] == [435, 435]
    assert d["layers"][-4]["jump"] == [32, 32]


def test_resnet34():
    d = stack(resnet_yaml([3, 4, 6, 3]))
    assert d["total_parameters"] == 21_797_672        # torchvision resnet34
    assert round(d["total_macs"] / 1e9, 2) == 3.66     # torchvision's published 3.66 G


def test_resnet18_main_path_gap_is_shortcuts_and_batchnorm():
    # the issue's arithmetic: the main path alone is 11,507,880; the shortcuts' 1×1 convs
    # add 172,032 and batch norm 9,600
    d = solve(load_problem(str(PROBLEMS / "resnet18.yaml"))).data
    bn = shortcut_conv = 0

    def visit(entries, in_shortcut=False):
        nonlocal bn, shortcut_conv
        for e in entries:
            if e["type"] == "batchnorm":
                bn += e["parameters"]
            if e["type"] == "conv" and in_shortcut:
                shortcut_conv += e["parameters"]
            if e["type"] == "residual":
                visit(e["layers"])
                visit(e["shortcut"] or [], True)
    visit(d["layers"])
    assert shortcut_conv == 128 * 64 + 256 * 128 + 512 * 256 == 172_032
    assert bn == 9_600
    assert d["total_parameters"] - shortcut_conv - bn == 11_507_880


def test_mobilenetv2():
    d = solve(load_problem(str(PROBLEMS / "mobilenetv2.yaml"))).data
    assert d["total_parameters"] == 3_504_872         # torchvision mobilenet_v2
    assert round(d["total_macs"] / 1e9, 3) == 0.301    # torchvision's published 0.301 G
    assert d["output_shape"] == [1000]


def test_depthwise_separable_saves_macs():
    # 32 → 64 channels on 16×16: standard 3×3 conv 64·32·9 weights per position; depthwise
    # (32·9) + pointwise (64·32)
    std = stack("kind: shape\ninput: [32, 16, 16]\nlayers:\n"
                "  - conv: {filters: 64, kernel: 3, padding: 1, bias: false}\n")
    sep = stack("kind: shape\ninput: [32, 16, 16]\nlayers:\n"
                "  - conv: {filters: 32, kernel: 3, padding: 1, groups: 32, bias: false}\n"
                "  - conv: {filters: 64, kernel: 1, bias: false}\n")
    assert std["total_parameters"] == 64 * 32 * 9 == 18432
    assert sep["total_parameters"] == 32 * 9 + 64 * 32 == 2336
    assert std["total_macs"] == 16 * 16 * 18432
    assert sep["total_macs"] == 16 * 16 * 2336


ALEXNET = """
kind: shape
input: [3, 224, 224]
layers:
  - conv: {filters: 64, kernel: 11, stride: 4, padding: 2}
  - relu
  - pool: {size: 3, stride: 2}
  - conv: {filters: 192, kernel: 5, padding: 2}
  - relu
  - pool: {size: 3, stride: 2}
  - conv: {filters: 384, kernel: 3, padding: 1}
  - relu
  - conv: {filters: 256, kernel: 3, padding: 1}
  - relu
  - conv: {filters: 256, kernel: 3, padding: 1}
  - relu
  - pool: {size: 3, stride: 2}
  - flatten
  - dropout: {p: 0.5}
  - dense: {units: 4096}
  - relu
  - dropout
  - dense: {units: 4096}
  - relu
  - dense: {units: 1000}
"""


def vgg16_yaml() -> str:
    lines = ["kind: shape", "input: [3, 224, 224]", "layers:"]
    for c, n in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        lines += [f"  - conv: {{filters: {c}, kernel: 3, padding: 1}}", "  - relu"] * n
        lines.append("  - pool: {size: 2}")
    lines += ["  - flatten", "  - dense: {units: 4096}", "  - relu", "  - dense: {units: 4096}",
              "  - relu", "  - dense: {units: 1000}"]
    return "\n".join(lines) + "\n"


def test_lenet_alexnet_vgg16_still_right():
    assert stack(ALEXNET)["total_parameters"] == 61_100_840
    assert stack(vgg16_yaml())["total_parameters"] == 138_357_544
    # LeNet-5: test_shape.test_lenet5


# --- receptive fields by hand ---------------------------------------------------------------

def test_cs231n_three_3x3_convs():
    d = stack("kind: shape\ninput: [3, 32, 32]\nlayers:\n"
              "  - {conv: {filters: 8, kernel: 3, padding: 1}, repeat: 3}\n")
    assert [l["receptive_field"] for l in d["layers"]] == [[3, 3], [5, 5], [7, 7]]
    assert [l["jump"] for l in d["layers"]] == [[1, 1]] * 3
    t = run("shape", "--format", "text", "-", input="kind: shape\ninput: [3, 32, 32]\nlayers:\n"
            "  - {conv: {filters: 8, kernel: 3, padding: 1}, repeat: 3}\n").stdout
    assert "1 + (3 − 1) · 1 = 3" in t and "3 + (3 − 1) · 1 = 5" in t and \
        "5 + (3 − 1) · 1 = 7" in t


def test_dilated_and_strided_stack_by_hand():
    d = stack("kind: shape\ninput: [1, 64, 64]\nlayers:\n"
              "  - conv: {filters: 1, kernel: 3, dilation: 1}\n"     # r = 1 + 2·1·1 = 3
              "  - conv: {filters: 1, kernel: 3, dilation: 2}\n"     # r = 3 + 2·2·1 = 7
              "  - conv: {filters: 1, kernel: 3, dilation: 4}\n"     # r = 7 + 2·4·1 = 15
              "  - conv: {filters: 1, kernel: 2, stride: 2}\n"       # r = 15 + 1·1·1 = 16, j = 2
              "  - conv: {filters: 1, kernel: 3, dilation: 2}\n"     # r = 16 + 2·2·2 = 24
              "  - pool: {size: 2}\n"                                # r = 24 + 1·2 = 26, j = 4
              "  - global_avg_pool\n")                               # 10×10: r = 26 + 9·4
    # sizes 64 → 62 → 58 → 50 → 25 → 21 → 10 → 1
    assert [l["output_shape"][1] for l in d["layers"]] == [62, 58, 50, 25, 21, 10, 1]
    assert [l["receptive_field"][0] for l in d["layers"]] == [3, 7, 15, 16, 24, 26, 62]
    assert [l["jump"][0] for l in d["layers"]] == [1, 1, 1, 2, 2, 4, 40]
    # with a dilated layer, d is shown in the table's formulas
    t = run("shape", "-", input="kind: shape\ninput: [1, 64, 64]\nlayers:\n"
            "  - conv: {filters: 1, kernel: 3, dilation: 1}\n"
            "  - conv: {filters: 1, kernel: 3, dilation: 2}\n").stdout
    assert "3 + (3 − 1) · 2 · 1 = 7" in t


def test_non_square_receptive_field():
    d = stack("kind: shape\ninput: [1, 20, 20]\nlayers:\n"
              "  - conv: {filters: 1, kernel: [3, 1], stride: [1, 2]}\n"
              "  - conv: {filters: 1, kernel: 3}\n")
    assert d["layers"][0]["receptive_field"] == [3, 1] and d["layers"][0]["jump"] == [1, 2]
    assert d["layers"][1]["receptive_field"] == [5, 5] and d["layers"][1]["jump"] == [1, 2]


# --- layers and blocks ----------------------------------------------------------------------

def test_batchnorm_dropout_global_pool():
    d = stack("kind: shape\ninput: [16, 7, 7]\nlayers:\n  - batchnorm\n  - dropout: {p: 0.3}\n"
              "  - global_avg_pool\n  - flatten\n  - batchnorm\n")
    assert [l["parameters"] for l in d["layers"]] == [32, 0, 0, 0, 32]
    assert [l["output_shape"] for l in d["layers"]] == [[16, 7, 7], [16, 7, 7], [16, 1, 1],
                                                        [16], [16]]
    t = run("shape", "-", input="kind: shape\ninput: [16, 7, 7]\nlayers:\n  - batchnorm\n")
    out = " ".join(t.stdout.split())
    assert "buffers, not parameters" in out and "(32 numbers here)" in out


def test_residual_block_parameters_and_identity():
    d = stack("kind: shape\ninput: [64, 56, 56]\nlayers:\n  - residual:\n      layers:\n"
              "        - conv: {filters: 64, kernel: 3, padding: 1, bias: false}\n"
              "        - batchnorm\n      activation: relu\n")
    b = d["layers"][0]
    assert b["type"] == "residual" and b["shortcut"] is None
    assert b["parameters"] == 64 * 64 * 9 + 128
    assert [l["type"] for l in b["layers"]] == ["conv", "batchnorm", "relu"]
    assert b["receptive_field"] == [3, 3]


def test_residual_shapes_that_differ(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("kind: shape\ninput: [64, 56, 56]\nlayers:\n  - relu\n  - residual:\n"
                 "      layers:\n        - conv: {filters: 128, kernel: 3, stride: 2, "
                 "padding: 1}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:5:5: layers[1]: residual block 2: its layers give 128 × 28 × 28 but the "
        "identity shortcut (its input) gives 64 × 56 × 56; the two are added, so they must "
        "agree; give a `shortcut` that maps one to the other (a 1×1 conv)")
    f.write_text("kind: shape\ninput: [64, 56, 56]\nlayers:\n  - residual:\n      layers:\n"
                 "        - conv: {filters: 128, kernel: 3, stride: 2, padding: 1}\n"
                 "      shortcut:\n        - conv: {filters: 128, kernel: 1}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:4:5: layers[0]: residual block 1: its layers give 128 × 28 × 28 but its "
        "shortcut gives 128 × 56 × 56; the two are added, so they must agree")


def test_groups_must_divide(tmp_path):
    f = tmp_path / "g.yaml"
    f.write_text("kind: shape\ninput: [30, 8, 8]\nlayers:\n"
                 "  - conv: {filters: 8, kernel: 3, groups: 4}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:4:11: layers[0].conv.groups: the 30 input channels cannot be split into 4 "
        "groups in layer 1: the channels must be a multiple of groups")
    f.write_text("kind: shape\ninput: [4, 8, 8]\nlayers:\n"
                 "  - conv: {filters: 6, kernel: 3, groups: 4}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:4:43: layers[0].conv.groups: 6 filters cannot be split into 4 groups: the "
        "filters must be a multiple of groups")


def test_layer_errors_inside_a_block_name_it(tmp_path):
    f = tmp_path / "b.yaml"
    f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n  - relu\n  - residual:\n"
                 "      layers:\n        - relu\n        - conv: {filters: 3, kernel: 9}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:8:17: layers[1].residual.layers[1].conv: the kernel (9×9) is larger than "
        "its input (8×8) in layer 2.2")


def test_repeat_and_settings_errors(tmp_path):
    f = tmp_path / "e.yaml"
    cases = [
        ("  - {relu: null, repeat: 0}\n", "4:26: layers[0].repeat: expected a number of repeats "
                                          "> 0, got 0"),
        ("  - {conv: {filters: 2, kernel: 3}, repeat: 1001}\n",
         "4:45: layers[0].repeat: expected at most 1,000 repeats, got 1,001"),
        ("  - dropout: {p: 1}\n", "4:18: layers[0].dropout.p: expected a dropout probability "
                                  "below 1, got 1"),
        ("  - batchnorm: {eps: 1}\n", "4:16: layers[0].batchnorm: batchnorm takes no settings"),
        ("  - residual\n", "4:5: layers[0]: a residual layer needs its settings: "
                           "`residual: {...}`"),
        ("  - residual: {shortcut: [relu]}\n", "4:15: layers[0].residual: missing field "
                                               "`layers`"),
        ("  - residual: {layers: [relu], activation: relu7}\n",
         "4:44: layers[0].residual.activation: unknown activation `relu7`; expected one of: "
         "linear, relu, leaky_relu, relu6, sigmoid, tanh, softmax, identity, none; did you mean "
         "`relu`?"),
        ("  - residual: {layers: [{residual: {layers: [relu], repeat: 2}}]}\n",
         "4:53: layers[0].residual.layers[0].residual.repeat: unknown field; expected one of: "
         "layers, shortcut, activation"),
    ]
    for item, want in cases:
        f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n" + item)
        assert error_of(run("shape", f)) == f"Error: {f}:{want}"


def test_too_many_layers_after_repeat(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n"
                 "  - {residual: {layers: [{relu: null, repeat: 1000}]}, repeat: 1000}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:4:3: layers: expected at most 10,000 layers after `repeat`, got 1,001,000")


# --- issue 11 item 9: readable sizes --------------------------------------------------------

def test_counts_have_thousands_separators_except_json():
    r = run("shape", PROBLEMS / "resnet18.yaml")
    assert "11,689,512" in r.stdout and "1,814,073,344" in r.stdout
    md = run("shape", PROBLEMS / "resnet18.yaml", "--format", "markdown").stdout
    assert "$11{,}689{,}512$" in md
    tex = run("shape", PROBLEMS / "resnet18.yaml", "--format", "latex").stdout
    assert "11{,}689{,}512" in tex
    js = run("shape", PROBLEMS / "resnet18.yaml", "--format", "json").stdout
    assert '"total_parameters": 11689512' in js and "11,689" not in js


def test_size_symbols_explained_once():
    t = run("shape", PROBLEMS / "cnn-stack.yaml").stdout
    t = " ".join(t.split())
    assert t.count("Here i is the input size") == 1
    assert "s the stride" in t and "d the dilation" in t and "p_before and p_after" in t


def test_stride_that_does_not_tile_the_input():
    t = run("shape", "--input", "1x10x10", "--kernel", "3", "--stride", "2").stdout
    t = " ".join(t.split())
    assert "no window covers the last 1 row of the 10 and the last 1 column of the 10" in t
    # 9 wide tiles exactly: no note; padding 1 on each side leaves only padding unused
    for args in (["--input", "1x9x9"], ["--input", "1x10x10", "--padding", "1"]):
        t = run("shape", *args, "--kernel", "3", "--stride", "2").stdout
        assert "does not tile" not in t


def test_a_window_narrower_than_the_stride_skips_cells():
    # ResNet's 1×1 shortcut with stride 2 on 9×9: windows at 0, 2, …, 8 skip every other cell
    t = " ".join(run("shape", "--input", "1x9x9", "--kernel", "1", "--stride", "2").stdout.split())
    assert "the windows, 1 wide with stride 2, skip 1 row and 1 column after each." in t
    assert "no window covers the last" not in t
    t = " ".join(run("shape", "--input", "1x9x9", "--kernel", "1", "--stride", "2,1").stdout
                 .split())
    assert "skip 1 row after each." in t
    assert "The filter has a weight" in t


def test_channels_last_input_gets_a_hint():
    r = run("shape", "--input", "28x28x1", "--kernel", "5")
    assert error_of(r) == (
        "Error: --kernel: the kernel (5×5) is larger than its input (28×1) in layer 1; shapes "
        "are channels-first (C×H×W): for a 28×28 image with 1 channel write 1x28x28")
    t = run("shape", "--input", "32x32x3", "--kernel", "3").stdout
    assert "write 3x32x32" in " ".join(t.split())
    assert "channels-first" not in run("shape", "--input", "3x32x32", "--kernel", "3").stdout


def test_resnet18_table_readable_at_60_and_100_columns():
    sol = solve(load_problem(str(PROBLEMS / "resnet18.yaml")), SolveOptions())
    for width in (60, 100):
        text = render(sol, "text", RenderOptions(width=width))
        lines = text.splitlines()
        assert max(len(l) for l in lines) <= width
        # no shape and no count is broken across lines
        assert "64 × 112 × 112" in text and "11,689,512" in text
        assert not any(re.search(r"[×·]\s*$", l) for l in lines)
        assert "64 · 64 · 3 · 3" in text and "112 · 112 · 9,408" in text
        assert "435" in text


# --- check and new ----------------------------------------------------------------------------

def _graded(tmp_path, problem: str, answers: str):
    import textwrap
    from nnsolve.check import grade, load_answers
    (tmp_path / "p.yaml").write_text(textwrap.dedent(problem))
    (tmp_path / "a.yaml").write_text("problem: p.yaml\n" + textwrap.dedent(answers))
    rep = grade(load_answers(str(tmp_path / "a.yaml")))
    return {r.field: r for r in rep.results}, rep


def _mistake(f):
    assert not f.correct
    return f.mistakes[0] if f.mistakes else None


BLOCK = """\
    kind: shape
    input: [8, 8, 8]
    layers:
      - conv: {filters: 8, kernel: 3, stride: 2, padding: 1, bias: false}
      - residual:
          layers:
            - conv: {filters: 8, kernel: 3, padding: 1, groups: 8, bias: false}
            - batchnorm
            - conv: {filters: 16, kernel: 1, bias: false}
          shortcut:
            - conv: {filters: 16, kernel: 1, bias: false}
          activation: relu
    """


def test_check_inside_a_residual_block(tmp_path):
    # stem: 8·8·3·3 = 576 weights, 8×4×4, r = 3, j = 2; block: depthwise 8·1·3·3 = 72,
    # batch norm 16, pointwise 16·8 = 128, shortcut 16·8 = 128: 344 in the block
    # buffers counted: batch norm 32 → 360; groups ignored: depthwise 8·8·3·3 = 576 → 848;
    # jump ignored: r = 3 + (3 − 1) = 5 instead of 3 + (3 − 1)·2 = 7;
    # FLOPs for MACs: the stem's 4·4·576 = 9,216 MACs, 18,432 FLOPs; the total 576 + 344 = 920
    # is 1,424 with the groups ignored
    fields, rep = _graded(tmp_path, BLOCK, """\
        answers:
          layers:
            1: {output_shape: [8, 4, 4], parameters: 576, receptive_field: [3, 3], macs: 18432}
            2:
              parameters: 848
              layers:
                1: {parameters: 576, receptive_field: [5, 5]}
                2: {parameters: 32}
              shortcut:
                1: {parameters: 128}
          total_parameters: 1424
        """)
    assert fields["layers.1.output_shape"].correct and fields["layers.1.parameters"].correct
    assert _mistake(fields["layers.1.macs"]) == ("flops_for_macs",)
    assert _mistake(fields["layers.2.layers.1.parameters"]) == ("groups_ignored",)
    assert _mistake(fields["layers.2.parameters"]) == ("groups_ignored",)
    assert _mistake(fields["layers.2.layers.1.receptive_field"]) == ("jump_ignored",)
    assert _mistake(fields["layers.2.layers.2.parameters"]) == ("batchnorm_buffers_counted",)
    assert fields["layers.2.shortcut.1.parameters"].correct
    assert _mistake(fields["total_parameters"]) == ("groups_ignored",)


def test_check_padding_forgotten_inside_a_block(tmp_path):
    fields, _ = _graded(tmp_path, """\
        kind: shape
        input: [4, 8, 8]
        layers:
          - residual:
              layers:
                - conv: {filters: 4, kernel: 3, stride: 2, padding: 1}
              shortcut:
                - pool: {size: 2}
        """, """\
        answers:
          layers:
            1:
              layers:
                1: {output_shape: [4, 3, 3]}
        """)
    assert _mistake(fields["layers.1.layers.1.output_shape"]) == ("padding_forgotten",)


def test_new_shape_residual(tmp_path):
    from nnsolve.check import grade, load_answers
    from nnsolve.kinds.shape.generate import new_shape
    from nnsolve.generating import answers_text
    kinds = set()
    for seed in range(12):
        g = new_shape(seed, residual=True)
        assert new_shape(seed, residual=True).text == g.text
        assert "residual:" in g.text and "--residual" in g.text
        d = stack(g.text)
        blocks = [l for l in d["layers"] if l["type"] == "residual"]
        assert len(blocks) == 2
        kinds.update(b["shortcut"] is None for b in blocks)
        (tmp_path / "p.yaml").write_text(g.text)
        (tmp_path / "a.yaml").write_text(answers_text(g, "p.yaml", "test"))
        rep = grade(load_answers(str(tmp_path / "a.yaml")))
        assert rep.n_wrong == 0 and rep.n_right >= 2
    assert kinds == {True, False}       # identity shortcuts and 1×1 ones both drawn
    r = run("new", "shape", "--seed", "4", "--residual", "--blocks", "3")
    assert r.exit_code == 0 and "nnsolve new shape --seed 4 --blocks 3 --residual" in r.stdout
    assert r.stdout.count("residual:") == 3


def test_compare_dense_covers_convolutions_in_blocks():
    d = json.loads(run("shape", "--compare-dense", "--format", "json", "-", input=BLOCK.replace(
        "    ", "", 1).replace("\n    ", "\n")).stdout)
    got = {c["layer"]: c for c in d["compare_dense"]}
    assert set(got) == {0, "2.1", "2.3", "2.s1"}
    # depthwise 3×3 on 8×4×4 → 8×4×4: each output sees 1·3·3 cells (its own channel)
    assert got["2.1"] == {"layer": "2.1", "dense": 128 * 128, "locally_connected": 128 * 9,
                          "conv": 72}


def test_conv_solution_notes_an_untiled_input_and_explains_the_symbols(tmp_path):
    (tmp_path / "I.txt").write_text("\n".join(" ".join("1" for _ in range(10))
                                              for _ in range(10)) + "\n")
    (tmp_path / "K.txt").write_text("1 0 1\n0 1 0\n1 0 1\n")
    t = run("conv", "--input", tmp_path / "I.txt", "--kernel", tmp_path / "K.txt", "--stride",
            "2").stdout
    t = " ".join(t.split())
    assert "no window covers the last 1 row of the 10 and the last 1 column of the 10" in t
    assert t.count("Here i is the input size") == 1
    t = run("conv", "--input", tmp_path / "I.txt", "--kernel", tmp_path / "K.txt").stdout
    assert "does not tile" not in t


def test_check_reads_a_receptive_field_written_as_one_number(tmp_path):
    fields, _ = _graded(tmp_path, """\
        kind: shape
        input: [3, 32, 32]
        layers:
          - {conv: {filters: 8, kernel: 3, padding: 1, stride: 2}, repeat: 2}
        """, """\
        answers:
          layers:
            1: {receptive_field: 3, jump: 2}
            2: {receptive_field: 5, jump: [4, 4]}
        """)
    # r = 3, j = 2; then r = 3 + 2·2 = 7 (5 forgets the jump), j = 4
    assert fields["layers.1.receptive_field"].correct and fields["layers.1.jump"].correct
    assert fields["layers.2.jump"].correct
    assert _mistake(fields["layers.2.receptive_field"]) == ("jump_ignored",)
