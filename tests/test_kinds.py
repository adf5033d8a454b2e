"""The table of layer kinds against torch: every elementwise forward equals torch's module, every textbook
derivative equals torch.autograd.grad (PReLU's per-channel slope and ELU's α included) on the real
pre-activations of every committed TinyVGG, the Backpropagation page's hand check covers all five variants, and every
list of kinds used elsewhere is a query of the table."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
import torch
from torch import nn

import models
from explain import activations as act
from explain import convolution as conv
from explain import kinds
from explain import layer_backward as bp
from explain import network as net
from explain import pooling as pool
from explain import tensors as ten
from explain.hooks import has_hooks
from explain.trace import module_config, trace
from ui.nav import KIND_PAGE, PAGES

TINYVGG = ("tinyvgg-relu", "tinyvgg-sigmoid", "tinyvgg-tanh", "tinyvgg-elu", "tinyvgg-prelu")
ELEMENTWISE = [k for k in kinds.TABLE if k.elementwise]
#: float64 throughout, but torch keeps some constants (Hardsigmoid's 1/6) in float32
GRAD_TOL = {"rtol": 1e-6, "atol": 1e-7}


@pytest.fixture(scope="module")
def traces() -> dict[str, tuple[nn.Module, object]]:
    x, _ = models.test_batch()
    out = {}
    for name in TINYVGG:
        model = models.load(name)
        out[name] = (model, trace(model, x[:1], loss="cross_entropy"))
    return out


def _module(spec: kinds.LayerKind, channels: int, own: nn.Module | None) -> nn.Module:
    """torch's module of a kind: the model's own when it uses this kind, else one with a non-default setting where
    the kind has one (so the table must read the setting, not assume torch's default)."""
    if own is not None and type(own).__name__ == spec.kind:
        return own
    if spec.kind == "PReLU":
        m = nn.PReLU(channels)
        with torch.no_grad():
            m.weight.copy_(torch.linspace(-0.3, 0.6, channels))
        return m
    if spec.kind == "ELU":
        return nn.ELU(alpha=0.7)
    if spec.kind == "LeakyReLU":
        return nn.LeakyReLU(0.2)
    return getattr(nn, spec.kind)()


def test_table_is_consistent() -> None:
    assert len(kinds.KINDS) == len(kinds.TABLE)
    assert all(k.derivative is not None for k in ELEMENTWISE)
    assert all(k.name for k in kinds.TABLE if k.family == "activation" and k.elementwise)
    assert all(k.backward == "elementwise" or k.kind in ("GELU", "Identity") for k in ELEMENTWISE)
    pages = {p.path for p in PAGES}
    assert {k.page for k in kinds.TABLE if k.page} <= pages
    # the lists that used to be written out by hand are the table's
    assert KIND_PAGE == {k.kind: k.page for k in kinds.TABLE if k.page}
    assert set(act.KIND_TO_NAME) == {k.kind for k in kinds.TABLE if k.page == kinds.ACTIVATIONS_PAGE and k.name}
    assert act.FUNCTIONS == ("sigmoid", "tanh", "relu", "elu", "prelu", "leaky_relu", "gelu", "silu", "relu6",
                             "hardswish", "hardsigmoid", "mish", "selu", "hardtanh")
    assert set(conv.ACTIVATION_KINDS) == {k.kind for k in ELEMENTWISE}
    assert {"ELU", "PReLU"} <= set(bp.ELEMENTWISE) and set(bp.ELEMENTWISE) <= set(bp.HAND_KINDS)
    assert {s.rule for s in (ten.shape_step("a", k.kind, {}, (1, 3, 4, 4), (1, 3, 4, 4)) for k in ELEMENTWISE)} \
        == {"same"}


def test_every_kind_list_is_a_query_of_the_table() -> None:
    """The lists of layer kinds the pages and mechanisms use are read from the table, not written out."""
    def family(*fams: str) -> set[str]:
        return {k.kind for k in kinds.TABLE if k.family in fams}

    assert net.CONV_KINDS == family("conv") and net.POOL_KINDS == family("pool")
    assert net.ACTIVATION_KINDS == family("activation") and net.VECTOR_KINDS == family("linear", "activation")
    assert net.MAP_KINDS == family("conv", "activation", "pool")
    assert pool.POOL_KINDS == tuple(k.kind for k in kinds.TABLE if k.page == kinds.POOLING_PAGE)
    assert set(conv.CONV_KINDS) == family("conv") and set(conv.NORM_KINDS) == family("norm")
    assert set(conv.SPATIAL_KINDS) == {k.kind for k in kinds.TABLE if k.shape_rule in ("conv", "pool")}
    assert set(conv.ADAPTIVE_KINDS) == {k.kind for k in kinds.TABLE if k.shape_rule == "adaptive"}
    assert set(conv.MAP_ROW_KINDS) == family("conv", "pool")
    assert set(bp.ELEMENTWISE) == {k.kind for k in kinds.TABLE if k.backward == "elementwise"}
    assert set(bp.IDENTITY_KINDS) == {k.kind for k in kinds.TABLE if k.backward == "identity"}


#: Literal lists of two or more layer kinds that files outside the Convolution/Pooling/network modules still write
#: out (each is for its owner to turn into a query of the table); no other file may add one.
KNOWN_LISTS: dict[str, int] = {}


def test_no_list_of_kinds_is_written_out() -> None:
    """No tuple, list or set literal of two or more kind names outside explain/kinds.py (the table); the string
    catalog's (English, Chinese) pairs of a kind's name are not lists of kinds."""
    root = Path(__file__).resolve().parent.parent
    names = set(kinds.KINDS)
    found: dict[str, int] = {}
    for folder in ("explain", "ui", "pages", "models"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel == "explain/kinds.py" or rel.startswith("ui/strings/"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                    strings = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                    if sum(v in names for v in strings) >= 2:
                        found[rel] = found.get(rel, 0) + 1
    assert all(found[f] <= KNOWN_LISTS.get(f, 0) for f in found), found


def test_a_new_kind_is_one_entry() -> None:
    """SELU, Hardtanh and Softplus and LPPool2d (a pooling the Pooling page does not draw) are each one entry: the
    network picture, the convolution step, the shape rules and the hand check know them, and their shape rule
    gives the shape torch's module gives. SELU and Hardtanh are drawn on the Activations page; Softplus is not."""
    for kind in ("SELU", "Hardtanh", "Softplus"):
        assert kind in net.ACTIVATION_KINDS and kind in conv.ACTIVATION_KINDS and kind in bp.ELEMENTWISE
        assert kinds.shape_rule(kind) == "same"
    assert kinds.KINDS["SELU"].page == kinds.KINDS["Hardtanh"].page == kinds.ACTIVATIONS_PAGE
    assert kinds.KINDS["Softplus"].page is None
    assert "LPPool2d" in net.POOL_KINDS and "LPPool2d" in conv.SPATIAL_KINDS and "LPPool2d" not in pool.POOL_KINDS
    lp = nn.LPPool2d(2, 3, stride=2)
    x = torch.rand(1, 2, 9, 9)
    step = ten.shape_step("lp", "LPPool2d", module_config(lp), tuple(x.shape), tuple(lp(x).shape))
    assert step.rule == "pool" and step.predicted == tuple(lp(x).shape)


def test_mish_is_one_entry() -> None:
    """Mish is known everywhere the table is read, the Activations page included."""
    z = torch.linspace(-4, 4, 41)
    torch.testing.assert_close(act.function("mish")(z), nn.Mish()(z))
    assert "Mish" in conv.ACTIVATION_KINDS and "Mish" in bp.ELEMENTWISE and "mish" in act.FUNCTIONS
    assert kinds.shape_rule("Mish") == "same" and kinds.shape_rule("NoSuchLayer") == "other"


@pytest.mark.parametrize("model_name", TINYVGG)
@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda k: k.kind)
def test_forward_and_derivative_equal_torch(traces, model_name: str, spec: kinds.LayerKind) -> None:  # noqa: ANN001
    """On every activation input of the model: f(z) = torch's module, f′(z) = torch.autograd.grad (and for PReLU
    ∂L/∂a_c = autograd's gradient of the slope)."""
    model, tr = traces[model_name]
    acts = [r for r in tr.layers if r.kind in kinds.ELEMENTWISE_KINDS]
    assert len(acts) == 4
    for rec in acts:
        z = rec.input.double()
        own = model.get_submodule(rec.name)
        mod = copy.deepcopy(_module(spec, z.shape[1], own)).double()  # a copy: the model stays as it is
        config = module_config(mod)
        params = {n: p.detach() for n, p in mod.named_parameters(recurse=False)}
        with torch.enable_grad():
            zz = z.clone().requires_grad_(True)
            y = mod(zz.clone())
            g = torch.randn(y.shape, dtype=y.dtype, generator=torch.Generator().manual_seed(rec.index))
            got = torch.autograd.grad(y, [zz, *mod.parameters(recurse=False)], g)
        fwd = kinds.forward(spec.kind, z, config, params)
        torch.testing.assert_close(fwd, y.detach(), rtol=1e-12, atol=1e-12)
        d = kinds.derivative(spec.kind, z, config, params)
        torch.testing.assert_close(g * d, got[0], **GRAD_TOL)
        if spec.param_grads is not None:
            hand = spec.param_grads(z, g, config, params)
            torch.testing.assert_close(hand["weight"], got[1], **GRAD_TOL)
        if spec.kind == type(own).__name__:  # the model's own layer: the table's f equals the traced output
            torch.testing.assert_close(kinds.forward(spec.kind, rec.input, module_config(own),
                                                     dict(own.named_parameters(recurse=False))).detach(), rec.output)


def test_settings_are_read() -> None:
    """ELU's α, LeakyReLU's slope, GELU's tanh form and PReLU's per-channel a change the numbers as in torch."""
    z = torch.linspace(-3, 3, 25, dtype=torch.float64).reshape(1, 1, 5, 5).repeat(1, 2, 1, 1)
    for mod in (nn.ELU(alpha=2.5), nn.LeakyReLU(0.3), nn.GELU(approximate="tanh")):
        spec = kinds.KINDS[type(mod).__name__]
        zz = z.clone().requires_grad_(True)
        y = mod(zz)
        (dz,) = torch.autograd.grad(y.sum(), zz)
        torch.testing.assert_close(spec.forward(z, module_config(mod), {}), y.detach())
        torch.testing.assert_close(spec.derivative(z, module_config(mod), {}), dz)
    a = torch.tensor([0.1, -0.4], dtype=torch.float64)
    d = kinds.derivative("PReLU", z, {}, {"weight": a})
    assert torch.all(d[0, 0][z[0, 0] <= 0] == 0.1) and torch.all(d[0, 1][z[0, 1] <= 0] == -0.4)
    assert torch.all(d[z > 0] == 1)
    # ELU′ at 0 is α·e⁰ = α, as autograd says
    assert float(kinds.derivative("ELU", torch.zeros(1, dtype=torch.float64), {"alpha": 2.5})) == 2.5


@pytest.mark.parametrize("model_name", TINYVGG)
def test_hand_backward_covers_every_tinyvgg(traces, model_name: str) -> None:  # noqa: ANN001
    """Every layer of every committed TinyVGG has a hand formula on the Backpropagation page, equal to autograd;
    PReLU's slopes too."""
    model, tr = traces[model_name]
    for rec in tr.layers:
        lg = bp.local_backward(model, rec.key, tr.layers)
        assert lg.hand, rec.kind
        assert lg.input_diff is not None and lg.input_diff < 1e-6 * max(1.0, lg.in_grad_norm), (rec.key, lg.input_diff)
        own = {n for n, _ in model.get_submodule(rec.name).named_parameters(recurse=False)}
        assert set(lg.param_diffs) == own, rec.key
        assert all(v < 1e-6 for v in lg.param_diffs.values()), (rec.key, lg.param_diffs)
    assert not has_hooks(model) and all(p.grad is None for p in model.parameters())


def test_prelu_and_elu_hand_check_against_autograd(traces) -> None:  # noqa: ANN001
    """The two variants the hand check used to miss: ∂L/∂a = g·f′(a) and PReLU's ∂L/∂a_c = Σ g·min(0, a)."""
    for name, kind in (("tinyvgg-elu", "ELU"), ("tinyvgg-prelu", "PReLU")):
        model, tr = traces[name]
        for rec in (r for r in tr.layers if r.kind == kind):
            module = model.get_submodule(rec.name)
            hand = bp.hand_backward(kind, module, rec.input, rec.grad)
            assert hand is not None
            with torch.enable_grad():
                a = rec.input.detach().double().requires_grad_(True)
                m = nn.PReLU(module.weight.numel()).double() if kind == "PReLU" else nn.ELU(module.alpha)
                if kind == "PReLU":
                    with torch.no_grad():
                        m.weight.copy_(module.weight.double())
                leaves = [a, m.weight] if kind == "PReLU" else [a]
                got = torch.autograd.grad(m(a), leaves, rec.grad.double())
            torch.testing.assert_close(hand[0], got[0], **GRAD_TOL)
            if kind == "PReLU":
                assert set(hand[1]) == {"weight"}
                torch.testing.assert_close(hand[1]["weight"], got[1], **GRAD_TOL)
            else:
                assert hand[1] == {}


def test_pooling_reduce_is_what_the_module_computes() -> None:
    """The table's "max"/"avg" pooling kinds compute the max/mean of each 2x2 window of a known 4x4 input."""
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    windows = x.reshape(2, 2, 2, 2).permute(0, 2, 1, 3).reshape(2, 2, 4)  # [row, col, the window's 4 values]
    want = {"max": windows.amax(-1), "avg": windows.mean(-1)}
    built = {"MaxPool2d": nn.MaxPool2d(2), "AvgPool2d": nn.AvgPool2d(2), "AdaptiveAvgPool2d": nn.AdaptiveAvgPool2d(2),
             "AdaptiveMaxPool2d": nn.AdaptiveMaxPool2d(2)}
    assert set(kinds.pooling_by("max", "avg")) == set(built)
    for kind, module in built.items():
        torch.testing.assert_close(module(x)[0, 0], want[kinds.KINDS[kind].reduce])
    assert kinds.pooling_by("lp") == ("LPPool2d",)
