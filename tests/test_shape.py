"""nnsolve shape: the seed's 2.2, formulas against computed convolutions, known architectures."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.load import load_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.solve import SolveOptions, solve
from nnsolve.kinds.conv import spec as conv_spec
from nnsolve.kinds.shape.spec import build_single, parse
from nnsolve.sizes import pool_out, transposed_out

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def stack(yaml_text):
    return solve(parse(doc_from_text(yaml_text, "stack.yaml"))).data


# --- the seed's 2.2 ---------------------------------------------------------------------------

def test_seed_stride_1_and_2():
    r1 = run("shape", "--input", "1x4x4", "--kernel", "2x2", "--filters", "2", "--stride", "1",
             "--format", "json")
    r2 = run("shape", "--input", "1x4x4", "--kernel", "2x2", "--filters", "2", "--stride", "2",
             "--format", "json")
    assert json.loads(r1.stdout)["output_shape"] == [2, 3, 3]
    assert json.loads(r2.stdout)["output_shape"] == [2, 2, 2]
    assert solve(load_problem(str(PROBLEMS / "seed-shape.yaml"))).data["output_shape"] == \
        [2, 3, 3]
    assert solve(load_problem(str(PROBLEMS / "seed-shape-stride2.yaml"))).data[
        "output_shape"] == [2, 2, 2]


def test_seed_text_shows_formula_with_numbers():
    r = run("shape", "--input", "1x4x4", "--kernel", "2x2", "--filters", "2", "--stride", "1",
            env={"NO_COLOR": "1"})
    assert r.exit_code == 0
    out = r.stdout
    assert "o = ⌊(i + p_before + p_after − d(k − 1) − 1)/s⌋ + 1" in out
    assert "Hₒᵤₜ = ⌊(4 + 0 + 0 − 1 · (2 − 1) − 1)/1⌋ + 1 = ⌊2/1⌋ + 1 = 3" in out
    assert "Output 2 × 3 × 3" in out
    assert "parameters = 2 · (1 · 2 · 2 + 1) = 10" in out


def test_compare_dense_seed_2_1():
    r = run("shape", "--input", "1x4x4", "--kernel", "2x2", "--filters", "2", "--compare-dense",
            "--format", "json")
    d = json.loads(r.stdout)
    # 16 inputs, 18 outputs: dense 18·(16 + 1) = 306; locally connected 18·(1·2·2 + 1) = 90;
    # convolution 2·(1·2·2 + 1) = 10
    assert d["compare_dense"] == [{"layer": 0, "dense": 306, "locally_connected": 90,
                                   "conv": 10}]
    t = run("shape", "--input", "1x4x4", "--kernel", "2x2", "--filters", "2", "--compare-dense",
            env={"NO_COLOR": "1"}).stdout
    t = " ".join(t.split())    # paragraphs wrap at the terminal width
    assert "local connectivity" in t and "shares" in t and "306" in t


# --- formulas against computed convolutions ---------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9),
       st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2),
       st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2))
def test_shape_formula_matches_conv_output(C, F, H, W, kh, kw, s, d, pt, pb, pl, pr):
    pads = ((pt, pb), (pl, pr))
    if d * (kh - 1) + 1 > H + pt + pb or d * (kw - 1) + 1 > W + pl + pr:
        return
    x = np.full((C, H, W), Fraction(1), dtype=object)
    k = np.full((C, kh, kw), Fraction(1), dtype=object)
    p = conv_spec.build(x, [k] * F, False, stride=(s, s), padding=pads, dilation=(d, d),
                        fail=lambda f, m: ProblemError(m))
    conv_shape = solve(p, SolveOptions(detail="summary")).data["output_shape"]
    shape = build_single((C, H, W), kernel=(kh, kw), filters=F, stride=(s, s), padding=pads,
                         dilation=(d, d))
    data = solve(shape).data
    assert data["output_shape"] == conv_shape
    assert data["total_parameters"] == F * (C * kh * kw + 1)


def test_transposed_inverts_conv_size():
    # a stride-2 conv of 2×2 maps 8 → 4, the transposed one 4 → 8
    assert transposed_out(4, (0, 0), 2, 2, 1, 0) == 8
    # PyTorch's formula with padding 1, kernel 3, stride 2, output_padding 1: (5−1)·2 − 2 + 2 + 1 + 1
    assert transposed_out(5, (1, 1), 3, 2, 1, 1) == 10
    d = json.loads(run("shape", "--input", "16x4x4", "--kernel", "2", "--filters", "8",
                       "--stride", "2", "--transposed", "--format", "json").stdout)
    assert d["output_shape"] == [8, 8, 8]
    assert d["total_parameters"] == 8 * (16 * 2 * 2 + 1)     # 520


def test_pool_ceil_mode():
    # 5 wide, window 2, stride 2: floor → 2 windows, ceil → 3 (the last one half outside)
    assert pool_out(5, (0, 0), 2, 2, False) == 2
    assert pool_out(5, (0, 0), 2, 2, True) == 3
    # ceil mode never starts a window in the trailing padding: 4 wide, window 2, stride 2, pad 1
    assert pool_out(4, (1, 1), 2, 2, True) == 3
    d = json.loads(run("shape", "--input", "3x5x5", "--pool", "max", "--size", "2",
                       "--ceil-mode", "--format", "json").stdout)
    assert d["output_shape"] == [3, 3, 3] and d["total_parameters"] == 0


# --- well-known architectures, counted by hand ----------------------------------------------

LENET = """
kind: shape
input: [1, 32, 32]
layers:
  - conv: {filters: 6, kernel: 5}     # 6×28×28, 6·(1·5·5 + 1) = 156
  - tanh
  - pool: {type: avg, size: 2}        # 6×14×14
  - conv: {filters: 16, kernel: 5}    # 16×10×10, 16·(6·5·5 + 1) = 2416
  - tanh
  - pool: {type: avg, size: 2}        # 16×5×5
  - flatten                           # 400
  - dense: {units: 120}               # 120·(400 + 1) = 48120
  - dense: {units: 84}                # 84·(120 + 1) = 10164
  - dense: {units: 10}                # 10·(84 + 1) = 850
"""


def test_lenet5():
    d = stack(LENET)
    shapes = [l["output_shape"] for l in d["layers"]]
    assert shapes == [[6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10],
                      [16, 5, 5], [400], [120], [84], [10]]
    assert [l["parameters"] for l in d["layers"]] == [156, 0, 0, 2416, 0, 0, 0, 48120, 10164,
                                                      850]
    assert d["total_parameters"] == 61706     # 156 + 2416 + 48120 + 10164 + 850


VGG_BLOCK = """
kind: shape
input: [3, 224, 224]
layers:
  - conv: {filters: 64, kernel: 3, padding: 1}   # 64·(3·3·3 + 1) = 1792
  - relu
  - conv: {filters: 64, kernel: 3, padding: 1}   # 64·(64·3·3 + 1) = 36928
  - relu
  - pool: {type: max, size: 2}                   # 64×112×112
"""


def test_vgg_block():
    d = stack(VGG_BLOCK)
    assert d["output_shape"] == [64, 112, 112]
    assert d["total_parameters"] == 1792 + 36928     # 38720


def test_cnn_stack_example():
    d = solve(load_problem(str(PROBLEMS / "cnn-stack.yaml"))).data
    # 448 + 4640 + 131136 + 650, see the comments in the file
    assert d["total_parameters"] == 136874
    assert d["output_shape"] == [10]
    assert [l["type"] for l in d["layers"]][:3] == ["conv", "relu", "pool"]


def test_no_bias_and_dilation():
    d = stack("kind: shape\ninput: [3, 10, 10]\nlayers:\n"
              "  - conv: {filters: 4, kernel: 3, dilation: 2, bias: false}\n")
    # dilated kernel spans 2·(3−1) + 1 = 5: 10 − 5 + 1 = 6; 4·3·3·3 = 108 weights
    assert d["output_shape"] == [4, 6, 6] and d["total_parameters"] == 108


# --- JSON contract ----------------------------------------------------------------------------

def test_json_contract():
    d = json.loads(run("shape", PROBLEMS / "cnn-stack.yaml", "--format", "json").stdout)
    assert set(d) == {"kind", "format_version", "input_shape", "layers", "output_shape",
                      "total_parameters", "total_macs"}
    assert d["kind"] == "shape" and d["format_version"] == 1
    # 32·32 positions × 16·3·3·3 weights = 442,368 multiply-accumulates; r = 1 + (3 − 1)·1·1
    assert d["layers"][0] == {"type": "conv", "output_shape": [16, 32, 32], "parameters": 448,
                              "macs": 442368, "receptive_field": [3, 3], "jump": [1, 1]}
    layer_keys = {"type", "output_shape", "parameters", "macs", "receptive_field", "jump"}
    assert all(set(l) == layer_keys for l in d["layers"])
    assert d["total_macs"] == sum(l["macs"] for l in d["layers"])


def test_json_contract_residual():
    d = json.loads(run("shape", PROBLEMS / "resnet18.yaml", "--format", "json").stdout)
    layer_keys = {"type", "output_shape", "parameters", "macs", "receptive_field", "jump"}
    blocks = [l for l in d["layers"] if l["type"] == "residual"]
    assert len(blocks) == 8
    for b in blocks:
        assert set(b) == layer_keys | {"layers", "shortcut"}
        assert all(set(l) == layer_keys for l in b["layers"])
        assert b["shortcut"] is None or all(set(l) == layer_keys for l in b["shortcut"])
        assert b["parameters"] == sum(l["parameters"] for l in
                                      b["layers"] + (b["shortcut"] or []))
    assert [b["shortcut"] is None for b in blocks] == [True, True, False, True, False, True,
                                                       False, True]


# --- errors -----------------------------------------------------------------------------------

def error_of(r):
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_dense_before_flatten(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"
                 "  - dense: {units: 10}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:5:12: layers[1].dense: a dense layer needs a flat input, but its input "
        "is 4 × 6 × 6; put `- flatten` before it")


def test_kernel_larger_than_input(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("kind: shape\ninput: [1, 4, 4]\nlayers:\n  - pool: {size: 2}\n"
                 "  - conv: {filters: 2, kernel: 3}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:5:11: layers[1].conv: the kernel (3×3) is larger than its input (2×2) "
        "in layer 2")
    assert error_of(run("shape", "--input", "1x2x2", "--kernel", "3")) == (
        "Error: --kernel: the kernel (3×3) is larger than its input (2×2) in layer 1")


def test_misspelled_key(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernal: 3}\n")
    assert error_of(run("shape", f)) == \
        f"Error: {f}:4:24: layers[0].conv.kernal: unknown field; did you mean `kernel`?"
    f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n  - flaten\n")
    line = error_of(run("shape", f))
    assert line.startswith(f"Error: {f}:4:5: layers[0]: unknown layer `flaten`")
    assert line.endswith("did you mean `flatten`?")


def test_conv_after_flatten(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("kind: shape\ninput: [3, 8, 8]\nlayers:\n  - flatten\n"
                 "  - conv: {filters: 4, kernel: 3}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:5:11: layers[1].conv: a conv layer needs a C×H×W input, but its input is "
        "[192] (after flatten); put it before `flatten`")
    # flat from the start: there is no flatten to move
    f.write_text("kind: shape\ninput: [192]\nlayers:\n  - dense: {units: 10}\n"
                 "  - conv: {filters: 4, kernel: 3}\n")
    assert error_of(run("shape", f)) == (
        f"Error: {f}:5:11: layers[1].conv: a conv layer needs a C×H×W input, but its input is "
        "[10] (flat from the start); give the input as C×H×W")


def test_usage_errors():
    r = run("shape", "--input", "1x4x4")
    assert r.exit_code == 2 and r.stdout == "" and "--kernel" in r.stderr
    r = run("shape", "--input", "1x0x4", "--kernel", "2")
    assert r.exit_code == 2 and "--input" in r.stderr
    r = run("shape", "--input", "1x4x4", "--kernel", "2", "--padding", "wide")
    assert r.exit_code == 2 and "--padding" in r.stderr
    r = run("shape", "--input", "1x4x4", "--kernel", "2", "--output-padding", "1")
    assert r.exit_code == 2 and "--transposed" in r.stderr
