"""Window arithmetic (explain/window.py) against PyTorch's own shapes and values."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from explain import window

# (n, k, s, p, d) with n small enough to hit windows that do not fit and ceil-mode partial windows
GRID = list(itertools.product(range(1, 12), range(1, 6), range(1, 5), range(0, 3), range(1, 4)))


def _torch_side(fn, n: int) -> int | None:
    """The output side PyTorch gives for an n×n input, None where it refuses."""
    try:
        return int(fn(torch.zeros(1, 1, n, n)).shape[-1])
    except RuntimeError:
        return None


def _ours(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int | None:
    try:
        return window.output_size(n, k, s, p, d, ceil_mode)
    except window.WindowError:
        return None


def test_pair_accepts_every_spelling() -> None:
    assert window.pair(3) == (3, 3)
    assert window.pair((2, 5)) == (2, 5) and window.pair([4, 1]) == (4, 1)
    assert window.pair((7,)) == (7, 7)
    assert window.pair(torch.Size([2, 3])) == (2, 3)
    assert window.pair(None, 1) == (1, 1)
    with pytest.raises(window.WindowError):
        window.pair(None)
    with pytest.raises(window.WindowError):
        window.pair((1, 2, 3))
    assert window.leading_padding("valid", 3) == (0, 0)
    assert window.leading_padding("same", (3, 4), (1, 2)) == (1, 3)
    assert window.leading_padding((1, 2), 3) == (1, 2)


def test_output_size_equals_conv2d_over_grid() -> None:
    checked = refused = 0
    for n, k, s, p, d in GRID:
        w = torch.zeros(1, 1, k, k)
        real = _torch_side(lambda x, w=w, s=s, p=p, d=d: F.conv2d(x, w, stride=s, padding=p, dilation=d), n)
        assert _ours(n, k, s, p, d) == real, (n, k, s, p, d)
        checked += real is not None
        refused += real is None
    assert checked > 500 and refused > 50
    with pytest.raises(window.WindowError) as e:
        window.output_size(3, 5)
    assert e.value.code == "too_small"
    for bad in ((0, 1, 1, 0, 1), (5, 0, 1, 0, 1), (5, 1, 0, 0, 1), (5, 1, 1, -1, 1), (5, 1, 1, 0, 0)):
        with pytest.raises(window.WindowError) as e:
            window.output_size(*bad)
        assert e.value.code == "arguments"


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_output_size_equals_max_and_avg_pool2d_over_grid(ceil_mode: bool) -> None:
    checked = 0
    for n, k, s, p, d in GRID:
        if 2 * p > k:  # PyTorch: padding at most half the kernel
            continue
        real = _torch_side(lambda x, k=k, s=s, p=p, d=d: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil_mode), n)
        if real is None:  # PyTorch refuses: the window does not fit, and ours says so
            assert _ours(n, k, s, p, d, ceil_mode) is None or d * (k - 1) + 1 > n + 2 * p
            continue
        assert _ours(n, k, s, p, d, ceil_mode) == real, (n, k, s, p, d, ceil_mode)
        if d == 1:
            avg = _torch_side(lambda x, k=k, s=s, p=p: F.avg_pool2d(x, k, s, p, ceil_mode=ceil_mode), n)
            assert _ours(n, k, s, p, 1, ceil_mode) == avg, (n, k, s, p, ceil_mode)
        checked += 1
    assert checked > 300


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "floor", "ceil"), [
    (112, 3, 2, 0, 1, 55, 56),  # a last partial window: ceil keeps it
    (111, 3, 2, 0, 1, 55, 55),  # exact: ceil changes nothing
    (8, 2, 3, 1, 1, 3, 3),  # ⌈7/3⌉ + 1 = 4, but the 4th window would start at 9 ≥ 8 + 1 (right padding): 3
    (5, 2, 2, 1, 1, 3, 3),  # ⌈4/2⌉ + 1 = 3 = ⌊4/2⌋ + 1
    (6, 2, 2, 1, 1, 4, 4),  # ⌈5/2⌉ + 1 = 4, the 4th window starts at 6 − 1 = 5 < 6 + 1: kept
    (4, 3, 2, 1, 1, 2, 3),  # the 3rd window starts at 3 inside the input: kept
    (10, 3, 4, 1, 2, 2, 3),  # dilation: span 7, ⌈7/4⌉ + 1 = 3, last start 8 − 1 = 7 < 11
])
def test_ceil_mode_edges(n: int, k: int, s: int, p: int, d: int, floor: int, ceil: int) -> None:
    x = torch.zeros(1, 1, n, n)
    assert window.output_size(n, k, s, p, d) == floor == F.max_pool2d(x, k, s, p, d).shape[-1]
    assert window.output_size(n, k, s, p, d, True) == ceil == F.max_pool2d(x, k, s, p, d, ceil_mode=True).shape[-1]
    if d == 1:
        assert F.avg_pool2d(x, k, s, p, ceil_mode=True).shape[-1] == ceil
    last = (ceil - 1) * s - p  # where the last window starts: inside the input or the left padding
    assert last < n


def test_size_formula_spells_the_rule() -> None:
    assert window.size_formula(28, 3, 1, 1) == "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28"
    assert window.size_formula(28, 3, 1, 1, general=True) == "⌊(28 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 28"
    assert window.size_formula(112, 3, 2, 0, 1, True) == "⌈(112 + 2·0 − 3)/2⌉ + 1 = 56"
    assert window.size_formula(10, 3, 2, 1, 2) == "⌊(10 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1 = 4"
    assert window.span(10, 3, 1, 2) == 7


@pytest.mark.parametrize(("n", "o"), [(7, 1), (13, 1), (6, 6), (10, 3), (7, 4), (5, 7), (56, 7), (14, 5), (9, 2)])
def test_adaptive_bins_equal_adaptive_pool2d(n: int, o: int) -> None:
    gen = torch.Generator().manual_seed(n * 31 + o)
    x = torch.randn(1, 2, n, n + 1, generator=gen, dtype=torch.float64)
    avg = F.adaptive_avg_pool2d(x, (o, o))
    mx = F.adaptive_max_pool2d(x, (o, o))
    rows, cols = window.adaptive_bins(n, o), window.adaptive_bins(n + 1, o)
    assert rows[0][0] == 0 and rows[-1][1] == n  # the bins cover the input
    for i, (a, b) in enumerate(rows):
        assert (a, b) == (math.floor(i * n / o), math.ceil((i + 1) * n / o)) == window.adaptive_bin(i, n, o)
        for j, (c, e) in enumerate(cols):
            cell = x[..., a:b, c:e]
            torch.testing.assert_close(avg[..., i, j], cell.mean((-2, -1)), rtol=0, atol=1e-12)
            torch.testing.assert_close(mx[..., i, j], cell.amax((-2, -1)), rtol=0, atol=0)
    assert window.adaptive_formula(n, o).startswith(f"o = {o}; ")
    with pytest.raises(window.WindowError):
        window.adaptive_bin(o, n, o)


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "op"),
                         [c for c in itertools.product((1, 3, 7), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2), (0, 1))
                          if c[5] < max(c[2], c[4])])
def test_transposed_size_equals_conv_transpose2d(n: int, k: int, s: int, p: int, d: int, op: int) -> None:
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d, bias=False)
    ours = window.transposed_size(n, k, s, p, d, output_padding=op)
    if ours < 1:  # PyTorch refuses a negative size (for 0 it sometimes returns an empty map)
        if ours < 0:
            with pytest.raises(RuntimeError):
                layer(torch.zeros(1, 1, n, n))
        return
    with torch.no_grad():
        assert layer(torch.zeros(1, 1, n, n)).shape[-1] == ours
    assert window.transposed_formula(n, k, s, p, d, output_padding=op).endswith(f" = {ours}")


def test_transposed_size_undoes_the_conv_size() -> None:
    for n, k, s, p in itertools.product(range(3, 20), (1, 3, 5), (1, 2, 3), (0, 1, 2)):
        if window.span(n, k, p) < 0:
            continue
        down = window.output_size(n, k, s, p)
        back = window.transposed_size(down, k, s, p)
        assert 0 <= n - back < s  # output_padding = n − back (< s) restores n exactly


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_equals_batchnorm2d(affine: bool) -> None:
    gen = torch.Generator().manual_seed(5)
    bn = nn.BatchNorm2d(6, eps=1e-3, affine=affine).double().eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(6, generator=gen, dtype=torch.float64))
        bn.running_var.copy_(torch.rand(6, generator=gen, dtype=torch.float64) * 3 + 0.1)
        if affine:
            bn.weight.copy_(torch.randn(6, generator=gen, dtype=torch.float64))
            bn.bias.copy_(torch.randn(6, generator=gen, dtype=torch.float64))
    x = torch.randn(2, 6, 5, 4, generator=gen, dtype=torch.float64)
    stats = window.norm_stats(bn)
    with torch.no_grad():
        ref = bn(x)
    torch.testing.assert_close(stats(x), ref, rtol=0, atol=1e-12)
    before = (bn.running_mean.clone(), bn.running_var.clone())
    assert torch.equal(bn.running_mean, before[0]) and torch.equal(bn.running_var, before[1])  # read, not changed
    mu, var, eps, gamma, beta = stats.channel(2)
    assert eps == 1e-3 and (gamma, beta) == ((float(bn.weight[2]), float(bn.bias[2])) if affine else (1.0, 0.0))
    v = float(x[1, 2, 3, 1])
    assert stats.value(v, 2) == pytest.approx(float(ref[1, 2, 3, 1]), abs=1e-12)
    assert stats.value(v, 2) == pytest.approx((v - mu) / math.sqrt(var + eps) * gamma + beta, abs=1e-12)
    # ∂y/∂x = γ/√(σ² + ε): against autograd of the module
    leaf = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(bn(leaf).sum(), leaf)
    torch.testing.assert_close(grad, stats.scale[None, :, None, None].expand_as(x), rtol=0, atol=1e-12)
    # channels last: the same constants along another axis
    torch.testing.assert_close(stats(x.movedim(1, -1), channel_axis=-1), ref.movedim(1, -1), rtol=0, atol=1e-12)


def test_batch_norm_without_running_stats_is_refused() -> None:
    with pytest.raises(window.WindowError) as e:
        window.norm_stats(nn.BatchNorm2d(3, track_running_stats=False))
    assert e.value.code == "norm"


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_from_a_trace_record_equals_batchnorm2d(affine: bool) -> None:
    """The constants read from a traced BatchNorm record (buffers, params, config) give the module's output."""
    from explain.trace import trace

    gen = torch.Generator().manual_seed(7)
    bn = nn.BatchNorm2d(4, eps=1e-4, affine=affine).eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(4, generator=gen))
        bn.running_var.copy_(torch.rand(4, generator=gen) * 2 + 0.2)
        if affine:
            bn.weight.copy_(torch.randn(4, generator=gen))
    x = torch.randn(1, 4, 5, 5, generator=gen)
    rec = trace(nn.Sequential(bn, nn.Flatten()), x)["0"]
    stats = window.norm_stats_from(rec.buffers, rec.params, rec.config.get("eps"), rec.kind)
    assert stats.eps == 1e-4
    torch.testing.assert_close(stats(x.double()).float(), rec.output, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(stats(x.double()), window.norm_stats(bn.double())(x.double()), rtol=0, atol=0)
    with pytest.raises(window.WindowError) as e:
        window.norm_stats_from({}, rec.params, 1e-5)
    assert e.value.code == "norm"


@pytest.mark.parametrize(("n", "o"), [(7, 7), (14, 7), (13, 6), (6, 4), (10, 3), (2, 5)])
def test_adaptive_window_spans_the_input_like_the_bins(n: int, o: int) -> None:
    """o windows of side k at stride s start at 0 and end at n (as the first and last adaptive bins do); where o
    divides n they are the bins exactly, and pooling with them equals F.adaptive_avg_pool2d."""
    k, s = window.adaptive_window(n, o)
    bins = window.adaptive_bins(n, o)
    if o <= n:
        assert bins[0][0] == 0 and (o - 1) * s + k == n == bins[-1][1]
    if n % o == 0:
        assert [(i * s, i * s + k) for i in range(o)] == bins
        x = torch.randn(1, 1, n, n, generator=torch.Generator().manual_seed(n))
        torch.testing.assert_close(F.avg_pool2d(x, k, s), F.adaptive_avg_pool2d(x, o))
    with pytest.raises(window.WindowError):
        window.adaptive_window(n, 0)


def test_window_cells_are_the_cells_unfold_reads() -> None:
    """Window i reads i·s − p + j·d: against F.unfold of an index map padded with −1 (padding cells)."""
    for n, k, s, p, d in GRID[::7]:
        o = _ours(n, k, s, p, d)
        if o is None:
            continue
        x = F.pad(torch.arange(n, dtype=torch.float64)[None, None, None], (p, p), value=-1.0)
        cols = F.unfold(x, (1, k), dilation=(1, d), stride=(1, s))[0]  # [k, o]
        assert cols.shape[1] == o
        for i in range(o):
            ours = [c if 0 <= c < n else -1 for c in window.window_cells(i, k, s, p, d)]
            assert ours == [int(v) for v in cols[:, i]], (n, k, s, p, d, i)


@pytest.mark.parametrize("size", [7, (3, 5), (None, 4), (6, None), None])
def test_adaptive_size_is_what_torch_gives(size) -> None:  # noqa: ANN001 - an output_size setting
    x = torch.rand(1, 2, 11, 9)
    want = tuple(nn.AdaptiveAvgPool2d(size)(x).shape[2:]) if size is not None else (11, 9)
    assert window.adaptive_size(size, (11, 9)) == want
