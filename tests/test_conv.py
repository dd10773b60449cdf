"""nnsolve conv: the seed's 2.3, random convolutions against a naive loop, the CLI and its JSON."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.load import load_problem
from nnsolve.solve import SolveOptions, solve
from nnsolve.kinds.common import Activation
from nnsolve.kinds.conv.spec import Pool, build

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def fail(field, message):
    return ProblemError(message, "<test>", field=field)


def exact(a):
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    out.flat[:] = [Fraction(int(v)) for v in a.ravel()]
    return out


# --- an independent reference: the definition, one output element at a time -----------------

def naive_conv(x, k, stride, pads, dilation, flip=False):
    """x: C×H×W, k: F×C×kh×kw (lists of ints); zero padding; plain nested loops."""
    C, H, W = len(x), len(x[0]), len(x[0][0])
    F, kh, kw = len(k), len(k[0][0]), len(k[0][0][0])
    (pt, pb), (pl, pr) = pads
    (sh, sw), (dh, dw) = stride, dilation

    def at(c, r, q):
        r, q = r - pt, q - pl
        if 0 <= r < H and 0 <= q < W:
            return x[c][r][q]
        return 0

    Ho = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = []
    for f in range(F):
        rows = []
        for i in range(Ho):
            row = []
            for j in range(Wo):
                s = 0
                for c in range(C):
                    for m in range(kh):
                        for n in range(kw):
                            w = k[f][c][kh - 1 - m][kw - 1 - n] if flip else k[f][c][m][n]
                            s += at(c, i * sh + m * dh, j * sw + n * dw) * w
                row.append(s)
            rows.append(row)
        out.append(rows)
    return out


# --- the seed ---------------------------------------------------------------------------------

def test_seed_output():
    problem = load_problem(str(PROBLEMS / "seed-conv.yaml"), "conv")
    sol = solve(problem)
    assert np.array(sol.data["output"]).tolist() == [[6, 8], [9, 8]]
    assert sol.data["output_shape"] == [2, 2]
    sums = [w["sum"] for w in sol.data["windows"]]
    assert sums == [6, 8, 9, 8]


def test_seed_text_reads_like_eq_52_to_56():
    r = run("conv", PROBLEMS / "seed-conv.yaml", env={"NO_COLOR": "1"})
    assert r.exit_code == 0, r.output
    out = r.stdout
    # eq. 52: the products of O₁,₁, then their sum
    assert "O₁,₁ = 1 · 1 + 2 · 0 + 4 · 0 + 5 · 1 = 1 + 0 + 0 + 5 = 6" in out
    assert "O₁,₂ = 2 · 1 + 3 · 0 + 5 · 0 + 6 · 1 = 2 + 0 + 0 + 6 = 8" in out
    assert "O₂,₁ = 4 · 1 + 5 · 0 + 1 · 0 + 5 · 1 = 4 + 0 + 0 + 5 = 9" in out
    assert "O₂,₂ = 5 · 1 + 6 · 0 + 5 · 0 + 3 · 1 = 5 + 0 + 0 + 3 = 8" in out
    # the window of O₁,₂ marked in the input grid
    assert "   1 [2][3]\n   4 [5][6]\n   1  5  3" in out
    # eq. 56: the output matrix
    assert "O = ⎡6  8⎤\n      ⎣9  8⎦" in out
    assert "cross-correlation" in out


def test_options_form_matches_problem_file():
    a = run("conv", "--input", PROBLEMS / "I.txt", "--kernel", PROBLEMS / "K.txt",
            "--format", "json")
    b = run("conv", PROBLEMS / "seed-conv.yaml", "--format", "json")
    assert a.exit_code == 0 and b.exit_code == 0
    assert json.loads(a.stdout) == json.loads(b.stdout)


# --- random convolutions against the naive loop ----------------------------------------------

@st.composite
def conv_settings(draw):
    C = draw(st.integers(1, 3))
    F = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    pads = ((draw(st.integers(0, 2)), draw(st.integers(0, 2))),
            (draw(st.integers(0, 2)), draw(st.integers(0, 2))))
    H = draw(st.integers(max(1, dh * (kh - 1) + 1 - sum(pads[0])), 7))
    W = draw(st.integers(max(1, dw * (kw - 1) + 1 - sum(pads[1])), 7))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ints = st.integers(-4, 4)
    x = draw(st.lists(st.lists(st.lists(ints, min_size=W, max_size=W), min_size=H,
                               max_size=H), min_size=C, max_size=C))
    k = draw(st.lists(st.lists(st.lists(st.lists(ints, min_size=kw, max_size=kw),
                                        min_size=kh, max_size=kh), min_size=C, max_size=C),
                      min_size=F, max_size=F))
    mode = draw(st.sampled_from(["cross_correlation", "convolution"]))
    return x, k, stride, pads, (dh, dw), mode


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_settings())
def test_random_convolutions_exact(case):
    x, k, stride, pads, dilation, mode = case
    p = build(exact(x), [exact(kf) for kf in k], single=False, stride=stride, padding=pads,
              dilation=dilation, mode=mode, fail=fail)
    sol = solve(p, SolveOptions(detail="full"))
    want = naive_conv(x, k, stride, pads, dilation, flip=mode == "convolution")
    got = np.asarray(sol.data["output"])
    assert got.tolist() == want
    assert all(isinstance(v, Fraction) for v in got.ravel())
    assert sol.data["output_shape"] == [len(want), len(want[0]), len(want[0][0])]
    # every window's sum is its output element, and its products are patch · weights
    for w in sol.data["windows"]:
        assert w["sum"] == want[w["filter"]][w["row"]][w["col"]]
        assert np.asarray(w["products"]).sum() == w["sum"]


@settings(max_examples=60, deadline=None)
@given(conv_settings())
def test_random_convolutions_float(case):
    x, k, stride, pads, dilation, mode = case
    xf = np.asarray(x, dtype=np.float64) * 0.5
    kf = [np.asarray(f, dtype=np.float64) for f in k]
    p = build(xf, kf, single=False, stride=stride, padding=pads, dilation=dilation, mode=mode,
              fail=fail)
    assert not p.exact
    got = np.asarray(solve(p, SolveOptions(detail="summary")).data["output"], dtype=float)
    want = np.asarray(naive_conv(x, k, stride, pads, dilation, flip=mode == "convolution"),
                      dtype=float) * 0.5
    np.testing.assert_allclose(got, want, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 3))
def test_same_padding_gives_ceil_i_over_s(h, w, k, s, d):
    x = exact(np.ones((h, w), dtype=int))
    p = build(x, [exact(np.ones((k, k), dtype=int))], True, stride=(s, s), padding="same",
              dilation=(d, d), fail=fail)
    out = solve(p, SolveOptions(detail="summary")).data["output_shape"]
    assert out == [-(-h // s), -(-w // s)]
    (pt, pb), (pl, pr) = p.padding
    assert pb - pt in (0, 1) and pr - pl in (0, 1)    # the odd extra at the bottom/right


# --- the operation: convolution flips the kernel -------------------------------------------

def test_convolution_versus_cross_correlation():
    I = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    K = [[1, 2], [3, 4]]
    xc = build(exact(I), [exact(K)], True, fail=fail)
    cv = build(exact(I), [exact(K)], True, mode="convolution", fail=fail)
    # cross-correlation: O₁,₁ = 1·1 + 2·2 + 4·3 + 5·4 = 37, and so on by hand
    assert np.asarray(solve(xc).data["output"]).tolist() == [[37, 47], [67, 77]]
    # convolution slides rot180(K) = [[4, 3], [2, 1]]: O₁,₁ = 1·4 + 2·3 + 4·2 + 5·1 = 23
    assert np.asarray(solve(cv).data["output"]).tolist() == [[23, 33], [53, 63]]
    r = run("conv", "--input", PROBLEMS / "I.txt", "--kernel", PROBLEMS / "K.txt",
            "--mode", "convolution", env={"NO_COLOR": "1"})
    assert "rot180(K)" in r.stdout and "rotated by 180°" in r.stdout


# --- bias, activation, pooling --------------------------------------------------------------

def test_bias_relu_and_max_pool():
    I = [[1, -2, 3, 0], [-4, 5, -6, 1], [7, -8, 9, 2], [0, 1, -1, 3]]
    p = build(exact(I), [exact([[1]])], True, bias=exact([-1]),
              activation=Activation("relu"), pool=Pool("max", (2, 2), (2, 2)), fail=fail)
    d = solve(p).data
    # Z = I − 1, then ReLU; max over each 2×2 block
    assert np.asarray(d["output"]).tolist() == [[0, 0, 2, 0], [0, 4, 0, 0],
                                                [6, 0, 8, 1], [0, 0, 0, 2]]
    assert np.asarray(d["pool"]["output"]).tolist() == [[4, 2], [6, 8]]
    assert d["pool"]["output_shape"] == [2, 2]


def test_avg_pool_leaves_padding_out():
    I = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    p = build(exact(I), [exact([[1]])], True, pool=Pool("avg", (2, 2), (2, 2),
                                                        ((1, 0), (1, 0))), fail=fail)
    out = np.asarray(solve(p).data["pool"]["output"])
    # windows over padded rows −1..0, 1..2: corner 1/1, top (2+3)/2, left (4+7)/2, (5+6+8+9)/4
    assert out.tolist() == [[1, Fraction(5, 2)], [Fraction(11, 2), 7]]


def test_multichannel_example():
    p = load_problem(str(PROBLEMS / "conv-multichannel.yaml"), "conv")
    d = solve(p).data
    assert d["input_shape"] == [2, 4, 4] and d["kernel_shape"] == [2, 2, 3, 3]
    assert d["stride"] == [2, 2] and d["padding"] == [[1, 1], [1, 1]]
    x = [[[1, 0, 2, 1], [0, 1, 3, 0], [2, 1, 0, 1], [1, 2, 1, 0]],
         [[0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 0, 2], [0, 1, 2, 1]]]
    k = [[[[1, 0, -1]] * 3, [[0, 1, 0], [1, -1, 1], [0, 1, 0]]],
         [[[1, 1, 1], [0, 0, 0], [-1, -1, -1]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]]]
    z = np.asarray(naive_conv(x, k, (2, 2), ((1, 1), (1, 1)), (1, 1))) + \
        np.array([1, 2])[:, None, None]
    assert np.asarray(d["output"]).tolist() == np.maximum(z, 0).tolist()
    assert np.asarray(d["pool"]["output"]).tolist() == \
        np.maximum(z, 0).max(axis=(1, 2)).reshape(2, 1, 1).tolist()


# --- large inputs: float64, vectorised, summary ---------------------------------------------

def test_large_npy_input_summary(tmp_path):
    rng = np.random.default_rng(1)
    img = rng.standard_normal((256, 256))
    ks = [rng.standard_normal((3, 3)) for _ in range(4)]
    np.save(tmp_path / "img.npy", img)
    args = ["conv", "--input", tmp_path / "img.npy", "--format", "json"]
    for i, k in enumerate(ks):
        np.save(tmp_path / f"k{i}.npy", k)
        args += ["--kernel", tmp_path / f"k{i}.npy"]
    r = run(*args)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["output_shape"] == [4, 254, 254] and "windows" not in d
    out = np.asarray(d["output"])
    for f, i, j in [(0, 0, 0), (3, 253, 253), (2, 100, 17)]:
        assert out[f, i, j] == pytest.approx(float((img[i:i + 3, j:j + 3] * ks[f]).sum()))
    t = run(*args[:-2], "--format", "text")
    assert t.exit_code == 0 and "too large to show" in t.stdout and "O₁,₁" not in t.stdout


# --- the JSON contract ------------------------------------------------------------------------

CONV_KEYS = {"kind", "format_version", "mode", "input_shape", "kernel_shape", "stride",
             "padding", "dilation", "output_shape", "output", "windows", "pool"}


def test_json_contract():
    r = run("conv", PROBLEMS / "seed-conv.yaml", "--format", "json")
    d = json.loads(r.stdout)
    assert set(d) == CONV_KEYS
    assert d["kind"] == "conv" and d["format_version"] == 1
    assert d["stride"] == [1, 1] and d["padding"] == [[0, 0], [0, 0]] and d["dilation"] == [1, 1]
    assert set(d["windows"][0]) == {"filter", "row", "col", "patch", "products", "sum"}
    assert d["windows"][0] == {"filter": 0, "row": 0, "col": 0, "patch": [[1, 2], [4, 5]],
                               "products": [[1, 0], [0, 5]], "sum": 6}
    s = json.loads(run("conv", PROBLEMS / "seed-conv.yaml", "--format", "json", "--detail",
                       "summary").stdout)
    assert set(s) == CONV_KEYS - {"windows"}
    m = json.loads(run("conv", PROBLEMS / "conv-multichannel.yaml", "--format", "json").stdout)
    assert set(m) == CONV_KEYS
    assert set(m["pool"]) == {"type", "size", "stride", "output_shape", "output"}
    assert m["output_shape"] == [2, 2, 2]


# --- errors -----------------------------------------------------------------------------------

def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def error_of(r):
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_kernel_larger_than_input_yaml(tmp_path):
    f = write(tmp_path, "p.yaml", "kind: conv\ninput: [[1, 2], [3, 4]]\n"
                                  "kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\n")
    assert error_of(run("conv", f)) == (
        f"Error: {f}:3:9: kernel: the kernel (3×3) is larger than the input (2×2); "
        "no window fits")


def test_kernel_larger_than_padded_input_options(tmp_path):
    i = write(tmp_path, "I.txt", "1 2\n3 4\n")
    k = write(tmp_path, "K.txt", "1 1 1 1\n1 1 1 1\n1 1 1 1\n1 1 1 1\n")
    r = run("conv", "--input", i, "--kernel", k)
    assert error_of(r) == (f"Error: {k}: --kernel: the kernel (4×4) is larger than the input "
                           "(2×2); no window fits")
    # with padding 1 it fits: 4×4 after padding
    assert run("conv", "--input", i, "--kernel", k, "--padding", "1").exit_code == 0


def test_misspelled_key(tmp_path):
    f = write(tmp_path, "p.yaml", "kind: conv\ninput: [[1, 2], [3, 4]]\nkernal: [[1]]\n")
    assert error_of(run("conv", f)) == \
        f"Error: {f}:3:1: kernal: unknown field; did you mean `kernel`?"


def test_ragged_matrix_file(tmp_path):
    i = write(tmp_path, "I.txt", "# input\n1, 2, 3\n4, 5\n")
    k = write(tmp_path, "K.txt", "1\n")
    assert error_of(run("conv", "--input", i, "--kernel", k)) == \
        f"Error: {i}:3:1: ragged matrix: this row has 2 numbers, line 2 has 3"


def test_channel_mismatch(tmp_path):
    i = write(tmp_path, "I.txt", "1 2\n3 4\n\n5 6\n7 8\n")
    k = write(tmp_path, "K.txt", "1\n")
    line = error_of(run("conv", "--input", i, "--kernel", k))
    assert line.startswith(f"Error: {k}: --kernel: expected 2 channels (the input is 2×2×2)")


def test_bias_count(tmp_path):
    f = write(tmp_path, "p.yaml", "kind: conv\ninput: [[1, 2], [3, 4]]\n"
                                  "kernels: [[[1]], [[2]]]\nbias: [1, 2, 3]\n")
    assert error_of(run("conv", f)) == \
        f"Error: {f}:4:7: bias: expected 2 values (one per filter), got 3"


def test_usage_errors():
    r = run("conv")
    assert r.exit_code == 2 and r.stdout == ""
    assert "give a problem file, or --input FILE and --kernel FILE" in r.stderr
    r = run("conv", "--input", PROBLEMS / "I.txt", "--kernel", PROBLEMS / "K.txt",
            "--stride", "0")
    assert r.exit_code == 2 and "--stride" in r.stderr
    r = run("conv", "--input", PROBLEMS / "I.txt", "--kernel", "missing.txt")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = run("conv", PROBLEMS / "seed-conv.yaml", "--stride", "2")
    assert r.exit_code == 2 and "not both" in r.stderr


def test_wrong_kind(tmp_path):
    r = run("conv", PROBLEMS / "seed-shape.yaml")
    assert error_of(r).startswith(f"Error: {PROBLEMS / 'seed-shape.yaml'}:")


def test_from_options():
    from nnsolve.kinds.common import LEAKY_RELU_ALPHA
    from nnsolve.kinds.conv.spec import from_options
    I, K = str(ROOT / "problems" / "I.txt"), str(ROOT / "problems" / "K.txt")
    p = from_options(I, [K], activation="leaky_relu", pool="max", pool_size=(1, 1))
    assert p.single and p.stride == (1, 1) and p.padding == ((0, 0), (0, 0))
    assert p.activation.alpha == LEAKY_RELU_ALPHA and p.pool.stride == (1, 1)
    with pytest.raises(ProblemError) as e:     # the kernel larger than the input
        from_options(K, [I])
    assert e.value.field == "--kernel"


def test_input_from_standard_input():
    import json
    from click.testing import CliRunner
    from nnsolve.cli import cli
    k = str(PROBLEMS / "K.txt")
    r = CliRunner().invoke(cli, ["conv", "--input", "-", "--kernel", k, "--format", "json"],
                           input="1 2 3\n4 5 6\n1 5 3\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["output"] == [[6, 8], [9, 8]]
    r = CliRunner().invoke(cli, ["conv", "--input", "-", "--kernel", k], input="1 2 3\n4 5\n")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == "Error: <stdin>:2:1: ragged matrix: this row has 2 numbers, line 1 has 3\n"
    r = CliRunner().invoke(cli, ["conv", "--input", "-", "--kernel", "-"])
    assert r.exit_code == 2
