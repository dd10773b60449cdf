"""nnsolve backprop --cost: multiplications without reuse against backpropagation (seed 1.1)."""

import itertools
import json
import os

from click.testing import CliRunner

from nnsolve.cli import cli
from nnsolve.kinds.backprop.cost import (depth_sizes, layer_costs, solve_sizes, with_backprop,
                                  without_reuse)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "problems", "seed-backprop.yaml")


def brute_force_without_reuse(sizes):
    """An independent count: enumerate every path of every weight and count its products.

    For w⁽ˡ⁾ⱼ,ₖ a path picks one unit in each layer above l; its product is
    ∂J/∂ŷ · Π_{m>l} (w⁽ᵐ⁾ · f′(a⁽ᵐ⁾)) · f′(a⁽ˡ⁾ⱼ) · h⁽ˡ⁻¹⁾ₖ, i.e. (number of factors − 1)
    multiplications."""
    L = len(sizes) - 1
    total = 0
    for l in range(1, L + 1):
        for _j, _k in itertools.product(range(sizes[l]), range(sizes[l - 1])):
            for path in itertools.product(*[range(sizes[m]) for m in range(l + 1, L + 1)]):
                factors = 1 + 2 * len(path) + 1 + 1
                total += factors - 1
    return total


def test_seed_network_by_hand():
    # The seed's network 1-2-2-1 (L = 3):
    # without reuse
    #   layer 3: 2 weights, 1 path each, ∂J/∂ŷ·f′(a⁽³⁾)·h⁽²⁾ₖ = 2 multiplications   →  4
    #   layer 2: 4 weights, 1 path each, ∂J/∂ŷ·f′(a⁽³⁾)·w⁽³⁾·f′(a⁽²⁾)·h⁽¹⁾ₖ = 4     → 16
    #   layer 1: 2 weights, 2 paths each (through either unit of layer 2), 6 each → 24
    #   N = 4 + 16 + 24 = 44
    # backpropagation
    #   δ⁽³⁾ (1) + ∂J/∂W⁽³⁾ (2) + ∂J/∂h⁽²⁾ = W⁽³⁾ᵀδ⁽³⁾ (2)                       →  5
    #   δ⁽²⁾ (2) + ∂J/∂W⁽²⁾ (4) + ∂J/∂h⁽¹⁾ = W⁽²⁾ᵀδ⁽²⁾ (4)                       → 10
    #   δ⁽¹⁾ (2) + ∂J/∂W⁽¹⁾ (2)                                                  →  4
    #   B = 19
    sizes = [1, 2, 2, 1]
    assert without_reuse(sizes) == 44
    assert with_backprop(sizes) == 19
    costs = layer_costs(sizes)
    assert [(c.weights, c.paths, c.per_path, c.without_reuse, c.backprop) for c in costs] == \
        [(2, 2, 6, 24, 4), (4, 1, 4, 16, 10), (2, 1, 2, 4, 5)]


def test_small_cases():
    # one layer n0 → n1: every weight one path of 2 multiplications; δ (n1) + gradients (n0·n1)
    assert without_reuse([3, 1]) == 6 and with_backprop([3, 1]) == 4
    assert without_reuse([2, 3]) == 12 and with_backprop([2, 3]) == 9
    # a chain 1-1-1: w⁽²⁾: 2; w⁽¹⁾: ∂J/∂ŷ·f′·w⁽²⁾·f′·x = 4 → 6;  B = (1 + 1) + (1 + 1 + 1) = 5
    assert without_reuse([1, 1, 1]) == 6 and with_backprop([1, 1, 1]) == 5


def test_against_path_enumeration():
    for sizes in ([1, 2, 2, 1], [2, 3, 1], [3, 2, 2, 2, 1], [1, 3, 3, 3, 2], [4, 1]):
        assert without_reuse(sizes) == brute_force_without_reuse(sizes)


def test_gap_grows_with_depth():
    ratios = []
    for d in range(1, 7):
        s = depth_sizes([1, 2, 2, 1], d)
        assert len(s) == d + 1 and s[0] == 1 and s[-1] == 1
        ratios.append(without_reuse(s) / with_backprop(s))
    assert depth_sizes([1, 2, 2, 1], 3) == [1, 2, 2, 1]
    assert all(a < b for a, b in zip(ratios, ratios[1:]))
    # backprop grows linearly with depth at a fixed width: constant differences
    bs = [with_backprop(depth_sizes([1, 2, 2, 1], d)) for d in range(2, 7)]
    assert len({b - a for a, b in zip(bs, bs[1:])}) == 1


def test_solution_data():
    sol = solve_sizes([1, 2, 2, 1])
    assert sol.kind == "backprop_cost"
    assert sol.data["without_reuse"] == 44 and sol.data["backprop"] == 19
    assert [row["depth"] for row in sol.data["depth_table"]] == [1, 2, 3, 4, 5, 6]
    assert sol.data["depth_table"][2]["sizes"] == [1, 2, 2, 1]


def test_cli_cost_text_and_json():
    runner = CliRunner()
    r = runner.invoke(cli, ["backprop", SEED, "--cost"])
    assert r.exit_code == 0, r.output
    assert "N = 2 · 2 · 6 + 4 · 1 · 4 + 2 · 1 · 2 = 44" in r.output
    assert "How the gap grows with depth" in r.output
    r = runner.invoke(cli, ["backprop", SEED, "--cost", "--format", "json"])
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert set(data) == {"kind", "format_version", "sizes", "layers", "without_reuse",
                         "backprop", "depth_table"}
    assert data["sizes"] == [1, 2, 2, 1] and data["without_reuse"] == 44
    for fmt in ("markdown", "latex"):
        r = runner.invoke(cli, ["backprop", SEED, "--cost", "--format", fmt])
        assert r.exit_code == 0 and "44" in r.output


def test_cost_goes_through_solve():
    from dataclasses import replace

    from nnsolve.load import load_problem
    from nnsolve.solve import SolveOptions, solve
    problem = replace(load_problem(SEED), kind="backprop_cost")
    sol = solve(problem, SolveOptions())
    assert sol.kind == "backprop_cost" and sol.data["without_reuse"] == 44
    short = solve(problem, SolveOptions(detail="summary"))
    assert short.data == sol.data
    assert len(short.blocks) == len(sol.blocks) - 1     # no "How the multiplications are counted"


def test_cli_cost_detail_and_verify():
    runner = CliRunner()
    r = runner.invoke(cli, ["backprop", SEED, "--cost", "--detail", "summary"])
    assert r.exit_code == 0, r.output
    assert "How the multiplications are counted" not in r.stdout
    assert "N = 2 · 2 · 6" not in r.stdout
    assert "How the gap grows with depth" in r.stdout
    r = runner.invoke(cli, ["backprop", SEED, "--cost", "--verify"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines()[-1] == (
        "Error: --cost and --verify do not combine: --cost counts multiplications and computes "
        "no gradient to check")
