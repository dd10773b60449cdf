"""The size arithmetic of convolution and pooling, one axis at a time: pure functions on whole
numbers (no errors, no text), shared by the specs that check sizes and the solvers that show them.

``pads`` is (before, after) on the axis; ``k`` the kernel or pool size, ``s`` the stride, ``d``
the dilation (1 for a pool).
"""

from __future__ import annotations


def effective_kernel(k: int, d: int = 1) -> int:
    """d(k−1) + 1: the cells a dilated kernel spans."""
    return d * (k - 1) + 1


def reach(i: int, pads: tuple, k: int, d: int = 1) -> int:
    """i + p_before + p_after − d(k−1) − 1: how far the window can move from the first position
    (negative when it does not fit)."""
    return i + pads[0] + pads[1] - effective_kernel(k, d)


def window_fits(i: int, pads: tuple, k: int, d: int = 1) -> bool:
    """The (dilated) kernel or pool window fits in the padded input at least once."""
    return reach(i, pads, k, d) >= 0


def positions(reach_: int, s: int, ceil_mode: bool = False) -> int:
    """⌊reach/s⌋ + 1 (⌈reach/s⌉ + 1 with ceil mode): the window positions."""
    return (-(-reach_ // s) if ceil_mode else reach_ // s) + 1


def conv_out(i: int, pads: tuple, k: int, s: int, d: int = 1) -> int:
    """o = ⌊(i + p_before + p_after − d(k−1) − 1)/s⌋ + 1."""
    return positions(reach(i, pads, k, d), s)


def transposed_out(i: int, pads: tuple, k: int, s: int, d: int, output_padding: int) -> int:
    """o = (i−1)s − p_before − p_after + d(k−1) + output_padding + 1."""
    return (i - 1) * s - pads[0] - pads[1] + d * (k - 1) + output_padding + 1


def pool_out(i: int, pads: tuple, k: int, s: int, ceil_mode: bool = False) -> int:
    """⌊(i + p_before + p_after − k)/s⌋ + 1, or ⌈…⌉ + 1 with ceil mode (the last window must
    start inside the input or its leading padding, as PyTorch has it)."""
    o = positions(reach(i, pads, k), s, ceil_mode)
    if ceil_mode and (o - 1) * s >= i + pads[0]:
        o -= 1
    return o


def pool_padding_fits(pads: tuple, k: int) -> bool:
    """A pool's padding is at most half its window on each side (as PyTorch requires)."""
    return max(pads) * 2 <= k


def same_padding(i: int, k: int, s: int, d: int = 1) -> tuple:
    """(before, after) for "same": output ⌈i/s⌉, the odd extra after."""
    out = -(-i // s)
    total = max((out - 1) * s + effective_kernel(k, d) - i, 0)
    return (total // 2, total - total // 2)


def uncovered(i: int, pads: tuple, k: int, s: int, d: int = 1) -> int:
    """Input rows (or columns) at the end that no window reaches: the stride does not tile the
    input (10 wide, k = 3, s = 2: the windows stop at column 9). Trailing padding left over is
    not counted; 0 when every input cell is used."""
    r = reach(i, pads, k, d)
    return max(r % s - pads[1], 0) if r >= 0 else 0
