"""Performance of nnsolve against plain Python/numpy baselines (GitHub issue 8).

    python benchmarks/run.py [--rounds N] [--keep DIR] [--only a,b,c,help,check]

Every figure is a ratio of two whole processes (Python start-up included), each the median of
N interleaved runs (round by round: one run of each command, in a rotating order), measured in
this one invocation so that both sides see the same machine. Standard library and numpy only.

The cases (the issue's targets in brackets):
  a      `nnsolve backprop problems/seed-backprop.yaml` (text) against
         `python -c "import numpy, yaml, click, rich.console, rich.table"`        [≤ 1.3]
  b      a 784-64-10 network (ReLU, softmax + cross-entropy), a batch of 32 from .npy files,
         2 steps, `--format json --detail summary`, against a vectorised numpy script that
         reads the same files, computes the same two steps and json.dumps the same structure
         (its JSON is checked equal to nnsolve's)                                  [≤ 1.5]
  c      a 256×256 input and four 3×3 filters from .npy files (`nnsolve conv`, `kernels:`),
         `--format json --detail summary`, against sliding_window_view + einsum + json.dump
         (its JSON is checked equal too)                                            [≤ 1.5]
  help   `nnsolve --help` against `python -c "import click"`                        [≤ 1.5]
  check  `nnsolve check` on 100 answer files in one call: time per file beyond the first,
         (t(100 files) − t(1 file)) / 99                                            [≤ 20 ms]

The data are made here, in a temporary directory, from a fixed seed. The measured commands (both
sides alike) run without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some machines for old
OpenBLAS builds, they slow a current numpy down) and with their compiled modules cached in the
temporary directory (PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE removed), as an installed
package has them; the first, unmeasured run of each command fills that cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
NNSOLVE = [PY, "-m", "nnsolve"]

TARGETS = {"a": 1.3, "b": 1.5, "c": 1.5, "help": 1.5}
CHECK_TARGET_MS = 20.0


def clean_env(pycache: str, tree: str) -> dict:
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NO_COLOR", "NNSOLVE_DEBUG",
              "PYTHONDONTWRITEBYTECODE"):
        env.pop(k, None)
    # compiled modules are cached (as an installed package has them), outside the work tree
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["PYTHONPATH"] = tree + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


ENV: dict = {}


def run_once(cmd: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.perf_counter() - t0
    if p.returncode not in (0, 1) or p.stderr.strip():   # 1 only as check's "some wrong"
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr.decode()}")
    return t


def interleaved(cmds: dict[str, list[str]], rounds: int, cwd: str) -> dict[str, float]:
    """Median wall time of each command, over rounds that run every command once."""
    names = list(cmds)
    for n in names:                       # warm the file cache, compile .pyc files
        run_once(cmds[n], cwd)
    times = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            times[n].append(run_once(cmds[n], cwd))
    return {n: statistics.median(v) for n, v in times.items()}


# --- the data ---------------------------------------------------------------------------------

def make_mlp(d: str) -> None:
    rng = np.random.default_rng(8)
    np.save(os.path.join(d, "W1.npy"), rng.normal(0, 0.05, (64, 784)))
    np.save(os.path.join(d, "b1.npy"), rng.normal(0, 0.01, 64))
    np.save(os.path.join(d, "W2.npy"), rng.normal(0, 0.1, (10, 64)))
    np.save(os.path.join(d, "b2.npy"), rng.normal(0, 0.01, 10))
    np.save(os.path.join(d, "X.npy"), rng.random((32, 784)))
    Y = np.zeros((32, 10))
    Y[np.arange(32), rng.integers(0, 10, 32)] = 1.0
    np.save(os.path.join(d, "Y.npy"), Y)
    with open(os.path.join(d, "mlp.yaml"), "w") as fh:
        fh.write(textwrap.dedent("""\
            kind: backprop
            title: A 784-64-10 classifier, a batch of 32
            samples: {inputs: X.npy, targets: Y.npy}
            layers:
              - {weights: W1.npy, bias: b1.npy, activation: relu}
              - {weights: W2.npy, bias: b2.npy, activation: softmax}
            loss: cross_entropy
            learning_rate: 0.1
            steps: 2
            """))
    with open(os.path.join(d, "mlp_numpy.py"), "w") as fh:
        fh.write(MLP_BASELINE)


# The baseline of (b): what a person would write with numpy to get the same JSON.
MLP_BASELINE = '''\
import json
import sys

import numpy as np

W1, b1, W2, b2 = (np.load(f) for f in ("W1.npy", "b1.npy", "W2.npy", "b2.npy"))
X, Y = np.load("X.npy"), np.load("Y.npy")
lr, N = 0.1, X.shape[0]
steps = []
for _ in range(2):
    A1 = X @ W1.T + b1
    H1 = np.maximum(A1, 0)
    A2 = H1 @ W2.T + b2
    E = np.exp(A2 - A2.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    loss = float(-(Y * np.log(np.where(Y != 0, P, 1))).sum() / N)
    dP = np.where(Y == 0, 0.0, -Y / P) / N
    dA2 = (P - Y) / N
    dW2, db2 = dA2.T @ H1, dA2.sum(axis=0)
    dH1 = dA2 @ W2
    dA1 = dH1 * (A1 > 0)
    dW1, db1 = dA1.T @ X, dA1.sum(axis=0)
    dX = dA1 @ W1
    W1n, b1n, W2n, b2n = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    layers = [
        {"W": W1, "b": b1, "a": A1, "h": H1, "dJ_dh": dH1, "dJ_da": dA1,
         "dJ_dW": dW1, "dJ_db": db1, "W_new": W1n, "b_new": b1n},
        {"W": W2, "b": b2, "a": A2, "h": P, "dJ_dh": dP, "dJ_da": dA2,
         "dJ_dW": dW2, "dJ_db": db2, "W_new": W2n, "b_new": b2n},
    ]
    steps.append({"loss": loss, "output": P.tolist(), "dJ_dx": dX.tolist(),
                  "layers": [dict({k: v.tolist() for k, v in l.items()}, type="dense")
                             for l in layers]})
    W1, b1, W2, b2 = W1n, b1n, W2n, b2n
with open(sys.argv[1], "w") as fh:
    json.dump({"kind": "backprop", "format_version": 1, "steps": steps}, fh, sort_keys=True)
'''


def make_conv(d: str) -> None:
    rng = np.random.default_rng(8)
    np.save(os.path.join(d, "I.npy"), rng.random((256, 256)))
    for f in range(4):
        np.save(os.path.join(d, f"K{f}.npy"), rng.normal(0, 1, (3, 3)))
    with open(os.path.join(d, "conv.yaml"), "w") as fh:
        fh.write("kind: conv\ninput: I.npy\nkernels: [K0.npy, K1.npy, K2.npy, K3.npy]\n")
    with open(os.path.join(d, "conv_numpy.py"), "w") as fh:
        fh.write(CONV_BASELINE)


CONV_BASELINE = '''\
import json
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

I = np.load("I.npy")
K = np.stack([np.load(f"K{f}.npy") for f in range(4)])
O = np.einsum("ijkl,fkl->fij", sliding_window_view(I, K.shape[1:]), K)
data = {"kind": "conv", "format_version": 1, "mode": "cross_correlation",
        "input_shape": list(I.shape), "kernel_shape": [4, 1, 3, 3], "stride": [1, 1],
        "padding": [[0, 0], [0, 0]], "dilation": [1, 1], "output_shape": list(O.shape),
        "output": O.tolist(), "pool": None}
with open(sys.argv[1], "w") as fh:
    json.dump(data, fh, sort_keys=True)
'''


def make_check(d: str, n: int = 100) -> None:
    shutil.copy(os.path.join(ROOT, "problems", "seed-backprop.yaml"), d)
    for i in range(n):
        right = i % 3 != 0
        with open(os.path.join(d, f"answers-{i:03d}.yaml"), "w") as fh:
            fh.write(textwrap.dedent(f"""\
                problem: seed-backprop.yaml
                answers:
                  loss: {9 if right else 81}
                  layers:
                    3: {{dJ_dW: [[0, {-18 if right else -9}]], W_new: [[-1, 1.18]]}}
                """))


# --- comparing the JSON -----------------------------------------------------------------------

def same_json(a, b, path="$") -> str | None:
    """None when two JSON values have the same keys and (to 1e-9) the same numbers."""
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            e = same_json(a[k], b[k], f"{path}.{k}")
            if e:
                return e
        return None
    if isinstance(a, list) and isinstance(b, list):
        try:
            x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        except (TypeError, ValueError):
            x = y = None
        if x is not None and x.dtype != object and y.dtype != object:
            if x.shape != y.shape:
                return f"{path}: shape {x.shape} != {y.shape}"
            return None if np.allclose(x, y, rtol=1e-9, atol=1e-12) else f"{path}: values differ"
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (u, v) in enumerate(zip(a, b)):
            e = same_json(u, v, f"{path}[{i}]")
            if e:
                return e
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return None if np.isclose(a, b, rtol=1e-9, atol=1e-12) else f"{path}: {a} != {b}"
    return None if a == b else f"{path}: {a!r} != {b!r}"


def check_equal(d: str, ours: list[str], theirs: list[str], out_ours: str, out_theirs: str):
    for cmd in (ours, theirs):
        p = subprocess.run(cmd, cwd=d, env=ENV, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    with open(os.path.join(d, out_ours)) as fa, open(os.path.join(d, out_theirs)) as fb:
        err = same_json(json.load(fa), json.load(fb))
    if err:
        raise SystemExit(f"the baseline's JSON differs from nnsolve's: {err}")


# --- the cases --------------------------------------------------------------------------------

def report(name: str, what: str, med: dict, ours: str, base: str) -> float:
    ratio = med[ours] / med[base]
    target = TARGETS[name]
    mark = "ok" if ratio <= target else "MISSED"
    print(f"({name}) {what}")
    print(f"      nnsolve {med[ours] * 1000:8.1f} ms   baseline {med[base] * 1000:8.1f} ms   "
          f"ratio {ratio:5.2f}   target ≤ {target}   {mark}")
    return ratio


def case_a(d, rounds):
    cmds = {"nnsolve": NNSOLVE + ["backprop", os.path.join(ROOT, "problems", "seed-backprop.yaml")],
            "imports": [PY, "-c", "import numpy, yaml, click, rich.console, rich.table"]}
    med = interleaved(cmds, rounds, d)
    return report("a", "seed backprop (text) vs importing numpy, yaml, click, rich", med,
                  "nnsolve", "imports")


def case_b(d, rounds):
    make_mlp(d)
    ours = NNSOLVE + ["backprop", "mlp.yaml", "--format", "json", "--detail", "summary",
                      "-o", "mlp_nnsolve.json"]
    theirs = [PY, "mlp_numpy.py", "mlp_numpy.json"]
    check_equal(d, ours, theirs, "mlp_nnsolve.json", "mlp_numpy.json")
    med = interleaved({"nnsolve": ours, "numpy": theirs}, rounds, d)
    return report("b", "784-64-10, batch 32, 2 steps, JSON vs a numpy script", med,
                  "nnsolve", "numpy")


def case_c(d, rounds):
    make_conv(d)
    ours = NNSOLVE + ["conv", "conv.yaml", "--format", "json", "--detail", "summary",
                      "-o", "conv_nnsolve.json"]
    theirs = [PY, "conv_numpy.py", "conv_numpy.json"]
    check_equal(d, ours, theirs, "conv_nnsolve.json", "conv_numpy.json")
    med = interleaved({"nnsolve": ours, "numpy": theirs}, rounds, d)
    return report("c", "256×256 input, four 3×3 filters, JSON vs sliding_window_view + einsum",
                  med, "nnsolve", "numpy")


def case_help(d, rounds):
    med = interleaved({"nnsolve": NNSOLVE + ["--help"], "click": [PY, "-c", "import click"]},
                      rounds, d)
    return report("help", "nnsolve --help vs importing click", med, "nnsolve", "click")


def case_check(d, rounds):
    p = subprocess.run(NNSOLVE + ["check", "--help"], cwd=d, env=ENV, capture_output=True)
    if p.returncode != 0:
        print("(check) skipped: `nnsolve check` is not there yet")
        return None
    make_check(d)
    files = sorted(f for f in os.listdir(d) if f.startswith("answers-"))
    med = interleaved({"one": NNSOLVE + ["check", files[0]], "all": NNSOLVE + ["check"] + files},
                      rounds, d)
    per = (med["all"] - med["one"]) / (len(files) - 1) * 1000
    mark = "ok" if per <= CHECK_TARGET_MS else "MISSED"
    print(f"(check) nnsolve check on {len(files)} answer files in one call")
    print(f"      1 file {med['one'] * 1000:8.1f} ms   {len(files)} files {med['all'] * 1000:8.1f} ms"
          f"   {per:5.1f} ms per further file   target ≤ {CHECK_TARGET_MS:g} ms   {mark}")
    return per


CASES = {"a": case_a, "b": case_b, "c": case_c, "help": case_help, "check": case_check}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=21, help="interleaved runs of each command")
    ap.add_argument("--only", default=",".join(CASES), help="cases to run, e.g. a,b")
    ap.add_argument("--keep", metavar="DIR", help="make the data in DIR and keep it")
    ap.add_argument("--tree", default=ROOT, metavar="DIR",
                    help="the source tree whose nnsolve/ is measured (default: this one), "
                         "e.g. a checkout of an older commit for a before/after comparison")
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs; "
          f"medians of {args.rounds} interleaved runs")
    d = args.keep or tempfile.mkdtemp(prefix="nnsolve-bench-")
    os.makedirs(d, exist_ok=True)
    ENV.update(clean_env(os.path.join(d, "pycache"), os.path.abspath(args.tree)))
    where = subprocess.run([PY, "-c", "import nnsolve; print(nnsolve.__file__)"], cwd=d, env=ENV,
                           capture_output=True, text=True).stdout.strip()
    print(f"nnsolve from {os.path.dirname(where)}")
    missed = False
    try:
        for name in args.only.split(","):
            result = CASES[name.strip()](d, args.rounds)
            if result is not None:
                missed |= result > (CHECK_TARGET_MS if name.strip() == "check"
                                    else TARGETS[name.strip()])
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
