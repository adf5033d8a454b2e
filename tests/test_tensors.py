"""Shapes through the network, embeddings, cosine similarity, nn.Sequential(*layers), Compose, tensor figures."""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

import models
from explain.hooks import has_hooks
from explain.imaging import decode, prepare
from explain.indexing import index_tensor
from explain.tensors import (
    COMPOSE_TOLERANCE,
    committed_class,
    compose_check,
    cosine_similarities,
    embedding_demo,
    embeddings,
    first_feature_map,
    image_embedding,
    model_source,
    nearest,
    preprocess_compose,
    sample_bank,
    sample_class,
    shape_step,
    shape_steps,
    star_demo,
    student_scores,
    tensor_choices,
    window_out,
)
from explain.trace import module_config, trace
from tests.helpers import photo_bytes, sample_bytes
from ui.figures.tensors import embedding_strip, lookup_figure, selection_figure, shape_bars


def all_models() -> list[tuple[str, nn.Module]]:
    """Every committed checkpoint (any architecture) and an untrained MLP, so both families are covered."""
    out = [(i.name, models.load(i.name)) for i in models.available(None)]
    if not any(i.arch == "mlp" for i in models.available(None)):
        out.append(("mlp-untrained", models.build("mlp", "relu", seed=0)))
    return out


MODELS = all_models()


@pytest.fixture(scope="module")
def sample_x() -> torch.Tensor:
    data, name = sample_bytes(0)
    return prepare(data, name).tensor


@pytest.mark.parametrize("name,model", MODELS, ids=[n for n, _ in MODELS])
def test_shape_table_matches_the_trace(name: str, model: nn.Module, sample_x: torch.Tensor) -> None:
    tr = trace(model, sample_x)
    steps = shape_steps(tr)
    assert [s.key for s in steps] == tr.keys()
    for s, rec in zip(steps, tr.layers, strict=True):
        assert s.out_shape == tuple(rec.output.shape)
        assert s.matches, (s.key, s.predicted, s.out_shape)
        assert s.rule != "other", s.kind
    # the flatten row is C·H·W and the last Linear maps to 10 classes
    flat = [s for s in steps if s.rule == "flatten"][0]
    assert flat.out_shape[1] == int(np.prod(flat.in_shape[1:]))
    assert steps[-1].out_shape == (1, 10)


def test_tinyvgg_shape_story(sample_x: torch.Tensor) -> None:
    tr = trace(models.load(models.DEFAULT_MODEL), sample_x)
    by_key = {s.key: s for s in shape_steps(tr)}
    assert by_key["block1.conv1"].out_shape == (1, 16, 28, 28)  # k=3, p=1 keeps 28
    assert "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28" in by_key["block1.conv1"].formula
    assert by_key["block1.pool"].out_shape == (1, 16, 14, 14)  # pooling halves
    assert by_key["block2.pool"].out_shape == (1, 32, 7, 7)
    assert by_key["flatten"].formula == "32 · 7 · 7 = 1568"
    assert by_key["classifier"].formula == "1568 → 10"


GRID = list(itertools.product([5, 8, 13], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2]))


def test_window_formula_against_real_conv_and_pool() -> None:
    checked = 0
    for n, k, s, p, d in GRID:
        if 2 * p > k or window_out(n, k, s, p, d) < 1:
            continue
        x = torch.zeros(1, 2, n, n)
        conv = nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d)
        step = shape_step("c", "Conv2d", module_config(conv), tuple(x.shape), tuple(conv(x).shape))
        assert step.matches and step.predicted == tuple(conv(x).shape)
        for ceil_mode in (False, True):
            pool = nn.MaxPool2d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)
            y = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil_mode)
            step = shape_step("p", "MaxPool2d", module_config(pool), tuple(x.shape), tuple(y.shape))
            assert step.predicted == tuple(y.shape), (n, k, s, p, d, ceil_mode)
        checked += 1
    assert checked > 50


def test_mismatch_is_reported() -> None:
    step = shape_step("c", "Conv2d", module_config(nn.Conv2d(1, 4, 3, padding=1)), (1, 1, 28, 28), (1, 4, 27, 27))
    assert not step.matches and step.predicted == (1, 4, 28, 28)


def test_tensor_choices_are_the_trace_outputs(sample_x: torch.Tensor) -> None:
    model = models.load(models.DEFAULT_MODEL)
    tr = trace(model, sample_x)
    ch = tensor_choices(tr)
    assert torch.equal(ch["input"], tr.input)
    # the recorded block1.pool output equals a plain forward pass stopped there
    with torch.no_grad():
        assert torch.allclose(ch["block1.pool"], model.block1(sample_x), atol=1e-6)
    res = index_tensor(ch["block1.act1"], "x[0, 1]")
    assert torch.equal(res.value, ch["block1.act1"][0, 1]) and res.count == 28 * 28


def test_student_scores_example() -> None:
    a = student_scores()
    assert a.shape == (2, 3, 4)
    assert a[1][0][:].tolist() == [91, 87, 92, 89]
    assert a[:, 1, 1].tolist() == [84, 88]


def test_embedding_lookup_is_a_row_of_the_table() -> None:
    demo = embedding_demo()
    assert demo.vectors.shape == (len(demo.ids), demo.table.shape[1])
    for t, i in enumerate(demo.ids):
        assert torch.equal(demo.vectors[t], demo.table[i])
    assert torch.allclose(demo.vectors, demo.via_one_hot)
    # same seed → same table: a fresh nn.Embedding with the same weight gives the same lookup
    ref = nn.Embedding.from_pretrained(demo.table)
    assert torch.equal(ref(torch.tensor(demo.ids)), demo.vectors)
    assert torch.equal(embedding_demo().table, demo.table)


@pytest.mark.parametrize("name,model", MODELS, ids=[n for n, _ in MODELS])
def test_image_embedding_is_the_last_linear_input(name: str, model: nn.Module, sample_x: torch.Tensor) -> None:
    tr = trace(model, sample_x)
    emb = image_embedding(tr)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        logits = last(emb.vector[None])
    assert torch.allclose(logits, tr.logits, atol=1e-5)  # feeding h to the classifier gives the logits
    batch = embeddings(model, sample_x.repeat(3, 1, 1, 1))
    assert batch.shape == (3, emb.vector.numel())
    assert torch.allclose(batch[0], emb.vector, atol=1e-5)
    if isinstance(model, models.TinyVGG):
        assert emb.source_shape == (1, 32, 7, 7) and emb.vector.numel() == 1568
        with torch.no_grad():
            assert torch.allclose(emb.vector, model.block2(model.block1(sample_x)).reshape(-1), atol=1e-5)


def test_cosine_similarity_against_torch() -> None:
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(50, generator=gen)
    bank = torch.randn(12, 50, generator=gen)
    bank[3] = 2.5 * q  # same direction: cos = 1
    bank[4] = -q  # opposite: cos = −1
    ref = F.cosine_similarity(q[None], bank, dim=1)
    ours = cosine_similarities(q, bank)
    assert torch.allclose(ours.float(), ref, atol=1e-6)
    near = nearest(q, bank, list(range(12)), [f"s{i}" for i in range(12)], k=3)
    assert near[0].index == 3 and abs(near[0].similarity - 1) < 1e-9
    assert [n.similarity for n in near] == sorted((n.similarity for n in near), reverse=True)
    assert cosine_similarities(q, torch.zeros(1, 50))[0] == 0  # a zero vector does not divide by zero


def test_sample_embeddings_rank_the_same_image_first() -> None:
    model = models.load(models.DEFAULT_MODEL)
    paths = models.samples()
    xs = torch.cat([prepare(p.read_bytes(), p.name).tensor for p in paths])
    bank = embeddings(model, xs)
    near = nearest(bank[5], bank, list(range(len(paths))), [p.name for p in paths], k=1)
    assert near[0].index == 5 and near[0].similarity == pytest.approx(1.0)


def test_star_unpacks_a_list_of_layers() -> None:
    demo = star_demo()
    assert demo.out_shape == (1, 4, 14, 14)
    assert demo.without_star_error.startswith("TypeError")
    assert "Conv2d" in demo.with_star and "MaxPool2d" in demo.with_star
    layers = [nn.Conv2d(1, 2, 3), nn.ReLU()]
    assert [type(m) for m in nn.Sequential(*layers)] == [nn.Conv2d, nn.ReLU]


def test_model_source_shows_class_and_block() -> None:
    src = model_source(models.build("tinyvgg", "relu"))
    assert "class TinyVGG" in src and "def _block" in src and "nn.Sequential(" in src
    assert "class MLP" in model_source(models.build("mlp", "relu"))


def test_compose_reproduces_the_pipeline_on_28x28_pixels() -> None:
    for i in (0, 7):
        data, name = sample_bytes(i)
        img = prepare(data, name)
        check = compose_check(Image.fromarray(img.pixels), img.tensor)
        assert check.tensor.shape == img.tensor.shape
        assert check.max_abs_diff < 1e-6
        assert "v2.Compose" in check.code and "Normalize" in check.code


@pytest.mark.parametrize("size", [(640, 480), (90, 300)])
def test_compose_reproduces_the_pipeline_on_a_photo(size: tuple[int, int]) -> None:
    data = photo_bytes(size=size)
    ref = prepare(data, "photo.jpg")
    decoded, _ = decode(data)
    out = preprocess_compose()(decoded).unsqueeze(0)
    assert ref.inverted  # a light background: the invert step really ran
    assert torch.allclose(out, ref.tensor, atol=1e-6)


# --- figures, without Streamlit ------------------------------------------------------------------------------


def test_selection_figure_marks_exactly_the_selection() -> None:
    a = student_scores()
    res = index_tensor(a, "A[:, 1, 1]", ("A",))
    fig = selection_figure(a, res.mask, name="A")
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    chosen = np.asarray(fig.data[1].z, dtype=float)
    assert sorted(chosen[~np.isnan(chosen)].tolist()) == [84.0, 88.0]
    assert fig.data[0].texttemplate  # small tensor: values printed


@pytest.mark.parametrize("mode", ["layer", "map", "global"])
def test_selection_figure_on_feature_maps(mode: str) -> None:
    x = torch.randn(16, 28, 28)
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[3] = True
    fig = selection_figure(x, mask, range_mode=mode, fixed=2.0)
    chosen = np.asarray(fig.data[1].z, dtype=float)
    assert int((~np.isnan(chosen)).sum()) == 28 * 28
    assert len(fig.to_json()) < 600_000
    for shape in [(), (5,), (3, 4)]:  # any rank
        t = torch.arange(int(np.prod(shape)) or 1, dtype=torch.float32).reshape(shape)
        assert isinstance(selection_figure(t, torch.ones_like(t, dtype=torch.bool)), go.Figure)


def test_other_figures() -> None:
    fig = shape_bars(["input", "conv"], [(1, 1, 28, 28), (1, 16, 28, 28)])
    assert list(fig.data[0].y) == [784, 12544]
    v = torch.randn(1568)
    strip = embedding_strip(v, (1, 32, 7, 7))
    assert np.asarray(strip.data[0].z).shape == (32, 49)
    assert np.allclose(np.asarray(strip.data[0].z, dtype=float)[2, 5], round(float(v[2 * 49 + 5]), 4), atol=1e-4)
    demo = embedding_demo()
    fig = lookup_figure(demo.table, demo.vocab, demo.ids)
    assert len(fig.layout.shapes) == len(set(demo.ids))


# --- ImageNet models ---------------------------------------------------------------------------------------


def test_adaptive_pool_rule_and_torchvision_shapes() -> None:
    from torchvision.models import mobilenet_v3_small

    s = shape_step("avgpool", "AdaptiveAvgPool2d", module_config(nn.AdaptiveAvgPool2d((1, None))), (2, 8, 7, 5),
                   (2, 8, 1, 5))
    assert s.rule == "adaptive" and s.predicted == (2, 8, 1, 5) and s.matches
    assert tuple(nn.AdaptiveAvgPool2d((1, None))(torch.zeros(2, 8, 7, 5)).shape) == s.predicted
    torch.manual_seed(0)
    tr = trace(mobilenet_v3_small(weights=None).eval(), torch.randn(1, 3, 224, 224))
    steps = shape_steps(tr)
    assert all(s.matches for s in steps)
    assert {s.rule for s in steps if s.kind in ("Hardswish", "BatchNorm2d", "AdaptiveAvgPool2d")} == {"same",
                                                                                                     "adaptive"}


def test_compose_reproduces_the_imagenet_preprocessing() -> None:
    from explain.imagenet_input import prepare_rgb
    from explain.tensors import compose_check_imagenet
    from models import zoo

    spec = zoo.input_spec(zoo.spec("imagenet-efficientnet_b0"))  # bicubic, resize 256
    for path in models.photo_samples()[:2]:
        data = path.read_bytes()
        ref = prepare_rgb(data, path.name, spec).tensor
        check = compose_check_imagenet(data, spec, ref)
        assert check.tensor.shape == (1, 3, spec.crop, spec.crop) and check.max_abs_diff < 1e-6
        assert "v2.Compose" in check.code and "CenterCrop" in check.code
    gray = photo_bytes(mode="L", size=(300, 200))
    ref = prepare_rgb(gray, "g.jpg", spec).tensor
    assert compose_check_imagenet(gray, spec, ref).max_abs_diff < 1e-6


def test_photo_bank_is_the_last_linear_input() -> None:
    from torchvision.models import resnet18

    from explain.imagenet_input import prepare_rgb
    from explain.tensors import photo_bank
    from models import zoo

    torch.manual_seed(0)
    net = resnet18(weights=None).eval()
    spec = zoo.input_spec(zoo.spec("imagenet-resnet18"))
    items = [(p.name, p.read_bytes()) for p in models.photo_samples()]
    bank, labels, names = photo_bank(net, items, spec)
    x = torch.cat([prepare_rgb(d, n, spec).tensor for n, d in items])
    with torch.no_grad():
        feats = torch.flatten(net.avgpool(net.layer4(net.layer3(net.layer2(net.layer1(net.maxpool(net.relu(
            net.bn1(net.conv1(x))))))))), 1)
        logits = net(x)
    torch.testing.assert_close(bank, feats, rtol=1e-4, atol=1e-5)
    assert labels == tuple(int(i) for i in logits.argmax(1)) and names == tuple(n for n, _ in items)
    assert not has_hooks(net)


def test_selection_figure_with_some_panels() -> None:
    x = torch.randn(5, 6, 7)
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[1:3, 2] = True
    fig = selection_figure(x, mask, name="x[0]", panel_index=[40, 41, 42, 43, 44])
    hover = np.asarray(fig.data[0].customdata)
    assert hover[0, 0] == "[40, 0, 0]" and "[41, 2, 3]" in hover


# --- the committed samples, the embedding and Compose checks the page prints ------------------------------------


def test_sample_class_reads_the_file_name() -> None:
    """Every committed sample's class, read from its name, is the class models.samples wrote it for: the test
    batch's label of the Fashion-MNIST test image its name points to (test<i>, for i < 256)."""
    _, labels = models.test_batch()
    checked = 0
    for p in models.samples():
        k = sample_class(p.name)
        assert k is not None and 0 <= k < 10
        assert committed_class(p.name, 10) == k
        i = int(p.stem.rsplit("test", 1)[1])
        if i < len(labels):
            assert int(labels[i]) == k, p.name
            checked += 1
    assert checked >= 10
    assert sample_class("3-dress-2-test29.png") == 3
    assert sample_class("12-x.png") == 12 and sample_class("12-x.png", 10) is None
    assert sample_class("photo.jpg") is None and sample_class("-1-x.png") is None
    assert committed_class("3-my-own-dress.png", 10) is None  # named like a sample, but an upload
    assert committed_class(models.samples()[0].name, 0) is None


def test_sample_bank_is_the_embeddings_of_the_committed_samples() -> None:
    model = models.load(models.DEFAULT_MODEL)
    paths = models.samples()[:4]
    bank, labels, names = sample_bank(model, [(p.name, p.read_bytes()) for p in paths])
    with torch.no_grad():
        xs = torch.cat([prepare(p.read_bytes(), p.name).tensor for p in paths])
        ref = torch.flatten(model.block2(model.block1(xs)), 1)
    torch.testing.assert_close(bank, ref, rtol=1e-5, atol=1e-6)
    assert labels == tuple(int(p.name.split("-")[0]) for p in paths) and names == tuple(p.name for p in paths)
    with pytest.raises(ValueError):
        sample_bank(model, [("photo.png", paths[0].read_bytes())])
    assert not has_hooks(model)


def test_first_feature_map_one_hot_diff_and_compose_verdict(sample_x: torch.Tensor) -> None:
    tr = trace(models.load(models.DEFAULT_MODEL), sample_x)
    assert first_feature_map(tensor_choices(tr)) == "block1.conv1"
    mlp = trace(models.build("mlp", "relu", seed=0), sample_x)
    assert first_feature_map(tensor_choices(mlp)) == "input"
    demo = embedding_demo()
    assert demo.one_hot_diff == float((demo.vectors - torch.nn.functional.one_hot(
        torch.tensor(demo.ids), len(demo.vocab)).float() @ demo.table).abs().max())
    data, name = sample_bytes(3)
    img = prepare(data, name)
    check = compose_check(Image.fromarray(img.pixels), img.tensor)
    assert check.same and check.max_abs_diff < COMPOSE_TOLERANCE
    assert not compose_check(Image.fromarray(img.pixels), img.tensor + 1e-3).same
