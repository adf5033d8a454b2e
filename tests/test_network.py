"""The network at a glance: which layers become columns, which channels they show, what the thumbnails encode,
the picture's size, and the Overview section whose links open each layer on its page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
import torch
from torch import nn

import models
from explain import network as net
from explain.trace import trace
from tests.helpers import assert_page_ok, catalog_leaks, photo_bytes, run_page, sample_bytes
from ui.i18n import tr
from ui.nav import KIND_PAGE, LAYER_PARAM, PAGES

PAGE = "pages/overview.py"
LUTS = {False: net._SEQUENTIAL_LUT, True: net._DIVERGING_LUT}


def decode(thumb: np.ndarray, signed: bool) -> np.ndarray:
    """The colour-scale step (0..255) of every pixel of a thumbnail: the nearest entry of the column's LUT."""
    lut = LUTS[signed].astype(np.int32)
    d = ((thumb.astype(np.int32)[..., None, :] - lut[None, None]) ** 2).sum(-1)
    return d.argmin(-1)


def sample_trace(name: str = "tinyvgg-relu", index: int = 0):  # noqa: ANN201 - (Trace, PreparedImage)
    from explain.imaging import prepare

    data, fname = sample_bytes(index)
    image = prepare(data, fname)
    return trace(models.load(name), image.tensor), image


@pytest.fixture(scope="module")
def resnet() -> nn.Module:
    """ResNet-18 with random-init weights (seed 0, as the session's ``zoo_weights``) from the test hub cache."""
    from models import zoo

    s = zoo.spec("imagenet-resnet18")
    if not zoo.is_cached(s):
        zoo.write_weights(s, seed=0)
    return zoo.load(s, allow_download=False)


# ---------------------------------------------------------------- the description (explain/network.py)


def test_tinyvgg_columns_follow_the_trace() -> None:
    tr_, image = sample_trace()
    view = net.network_view(tr_, pixels=image.pixels)
    maps = [r for r in tr_.layers if r.kind in ("Conv2d", "ReLU", "MaxPool2d")]
    assert [c.key for c in view.columns] == [r.key for r in maps]  # every conv/act/pool layer, forward order
    assert [c.shape for c in view.columns] == [tuple(r.output.shape) for r in maps]
    indices = [tr_[c.key].index for c in view.columns]
    assert indices == sorted(indices)
    assert not view.per_stage and view.n_map_layers == 10 and view.has_maps
    assert view.input.shape == (28, 28, 3) and np.array_equal(view.input[..., 0], image.pixels)
    assert view.output_key == "classifier"
    assert [c for c, _ in view.classes] == [c for c, _ in tr_.top(10)]
    assert view.classes[0][1] == pytest.approx(float(tr_.probs[0].max()))


def test_tinyvgg_channels_are_the_strongest_and_follow_through_per_channel_layers() -> None:
    tr_, _ = sample_trace()
    view = net.network_view(tr_)
    prev = None
    for col in view.columns:
        out = tr_[col.key].output[0]
        assert len(col.channels) == len(col.thumbs) == net.TOP_K and col.n_channels == out.shape[0]
        if col.kind == "Conv2d":
            means = out.mean(dim=(1, 2))
            want = torch.argsort(means, descending=True, stable=True)[:net.TOP_K].tolist()
            assert list(col.channels) == want and not col.inherited
        else:  # ReLU / MaxPool act on each channel alone: the same channels as the column before
            assert col.inherited and prev is not None and col.channels == prev.channels
        prev = col


def test_thumbnails_encode_the_record_channel_they_name() -> None:
    """Decode each thumbnail back to colour-scale steps: its argmax and its ordering are those of the record's
    own output channel (28x28 and 14x14 maps are drawn without averaging), and the colour scale is diverging
    exactly for the columns whose output has negative values."""
    tr_, _ = sample_trace()
    view = net.network_view(tr_)
    for col in view.columns:
        out = tr_[col.key].output[0]
        assert col.signed == bool(out.min() < 0)
        assert col.signed == (col.kind == "Conv2d")  # TinyVGG: conv outputs are signed, ReLU/pool outputs not
        for ch, thumb in zip(col.channels, col.thumbs, strict=True):
            values = out[ch].numpy()
            assert thumb.shape == (*values.shape, 3) and thumb.dtype == np.uint8
            steps = decode(thumb, col.signed)
            assert steps.flat[values.argmax()] == steps.max()
            order = np.argsort(values, axis=None, kind="stable")
            assert np.all(np.diff(steps.flat[order]) >= 0)  # a larger value never gets a lower colour step
            want = np.rint((values - col.vmin) / (col.vmax - col.vmin) * 255)
            assert np.abs(steps - want).max() <= 1


def test_hand_set_channels_rank_by_mean_activation() -> None:
    """A 1x1 convolution with weights 1, 3, -2 and biases 0 on a constant input 1 gives channel means 1, 3, -2:
    the ranking is 1, 0, 2; after ReLU channel 2 is all zero and the same channels are shown."""
    conv = nn.Conv2d(1, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 3.0, -2.0]).reshape(3, 1, 1, 1))
        conv.bias.zero_()
    model = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    view = net.network_view(trace(model, torch.ones(1, 1, 4, 4)), top_k=3)
    assert [c.key for c in view.columns] == ["0", "1"]
    assert view.columns[0].channels == (1, 0, 2) and view.columns[1].channels == (1, 0, 2)
    assert view.columns[0].signed and (view.columns[0].vmin, view.columns[0].vmax) == (-3.0, 3.0)
    assert not view.columns[1].signed and (view.columns[1].vmin, view.columns[1].vmax) == (0.0, 3.0)
    relu_zero = view.columns[1].thumbs[2]
    assert np.all(relu_zero == net._SEQUENTIAL_LUT[0])  # 0 is the dark end of viridis
    conv_neg = view.columns[0].thumbs[2]
    assert np.all(conv_neg == net._DIVERGING_LUT[round((-2 + 3) / 6 * 255)])


def test_mlp_layers_are_grids_of_units() -> None:
    tr_, _ = sample_trace("mlp-relu")
    view = net.network_view(tr_)
    assert [c.key for c in view.columns] == ["fc1", "act1", "fc2", "act2"]  # the logits are the class bars
    assert not view.has_maps and all(c.units and len(c.thumbs) == 1 for c in view.columns)
    # 256 units: 16 columns of 16; 128 units: ⌈√128⌉ = 12 columns, 11 rows (the last 4 cells empty)
    assert view.columns[0].thumbs[0].shape == (16, 16, 3) and view.columns[2].thumbs[0].shape == (11, 12, 3)
    fc1 = tr_["fc1"].output[0].numpy()
    steps = decode(view.columns[0].thumbs[0], view.columns[0].signed).reshape(-1)[:fc1.size]
    assert steps[fc1.argmax()] == steps.max() and steps[fc1.argmin()] == steps.min()


def test_large_networks_get_one_column_per_stage(resnet: nn.Module) -> None:
    from explain.imagenet_input import prepare_rgb
    from models import zoo

    spec = zoo.input_spec(zoo.spec("imagenet-resnet18"))
    image = prepare_rgb(photo_bytes("JPEG", size=(320, 240)), "photo.jpg", spec)
    tr_ = trace(resnet, image.tensor)
    view = net.network_view(tr_, pixels=image.pixels)
    assert view.per_stage and view.n_map_layers == 38
    assert [c.stage for c in view.columns] == ["stem", "layer1", "layer2", "layer3", "layer4"]
    kinds = net.MAP_KINDS
    stem_last = [r for r in tr_.layers if "." not in r.name and r.kind in kinds and r.output.shape[-1] > 1]
    want = [stem_last[[r.name for r in stem_last].index("maxpool")].key]
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        want.append([r for r in tr_.layers if r.name.startswith(stage + ".") and r.kind in kinds][-1].key)
    assert [c.key for c in view.columns] == want == ["maxpool", "layer1.1.relu#2", "layer2.1.relu#2",
                                                     "layer3.1.relu#2", "layer4.1.relu#2"]
    assert [c.shape[1:] for c in view.columns] == [(64, 56, 56), (64, 56, 56), (128, 28, 28), (256, 14, 14),
                                                   (512, 7, 7)]
    for col in view.columns:
        out = tr_[col.key].output[0]
        top = torch.argsort(out.mean(dim=(1, 2)), descending=True, stable=True)[:net.TOP_K].tolist()
        assert list(col.channels) == top and len(col.thumbs) == net.TOP_K and col.n_channels == out.shape[0]
        assert all(t.shape[0] <= net.THUMB_SIDE for t in col.thumbs)  # 56x56 maps block-averaged to 28x28
        # the 7x7 maps of layer4 are drawn whole: decode one and compare with its channel directly
        if col.shape[-1] == 7:
            steps = decode(col.thumbs[0], col.signed)
            assert steps.flat[out[col.channels[0]].numpy().argmax()] == steps.max()
    assert view.input.shape == (224, 224, 3) and view.output_key == "fc"


def test_a_container_that_changes_resolution_is_cut_between_blocks() -> None:
    """VGG-like ``features`` Sequential: stages end at the last block of each resolution."""
    features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1))
    model = nn.Sequential()
    model.add_module("features", features)
    model.add_module("flatten", nn.Flatten())
    model.add_module("fc", nn.Linear(4 * 4 * 4, 3))
    view = net.network_view(trace(model, torch.randn(1, 1, 16, 16)), max_columns=3)
    assert view.per_stage
    assert [(c.stage, c.key, c.layers) for c in view.columns] == [
        ("features.0–1", "features.1", 2), ("features.2–4", "features.4", 3), ("features.5–6", "features.6", 2)]


def test_no_layer_to_draw_is_a_clear_error() -> None:
    with pytest.raises(net.NoColumnsError):
        net.network_view(trace(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), torch.randn(1, 1, 2, 2)))


# ---------------------------------------------------------------- the picture (ui/figures/network.py)


def _figure(view):  # noqa: ANN001, ANN202
    from ui.figures.network import network_figure

    return network_figure(view, class_labels=[f"class {c}" for c, _ in view.classes],
                          hovers=[c.key for c in view.columns], input_title="input", probs_title="probabilities")


def test_picture_is_light_and_fits() -> None:
    from ui.figures.network import range_text, shape_text

    tr_, image = sample_trace()
    view = net.network_view(tr_, pixels=image.pixels)
    fig = _figure(view)
    assert fig.layout.height <= 400
    assert len(fig.layout.images) == 2 and all(i.source.startswith("data:image/png;base64,") for i in fig.layout.images)
    inp, maps = fig.layout.images  # the input and the maps' picture side by side: neither hides the other
    assert inp.x + inp.sizex < maps.x
    assert len(fig.to_json()) < 80_000  # ~50 KB: 80 thumbnails travel as one palette PNG
    texts = [a.text for a in fig.layout.annotations]
    under = [s for s in texts if "×" in s and "<br>" in s]
    assert under == [shape_text(c.shape) + "<br>" + range_text(c.signed, c.vmin, c.vmax) for c in view.columns]
    assert shape_text((1, 16, 28, 28)) == "16×28×28" and range_text(True, -2.5, 2.5) == "±2.50"
    assert list(fig.data[0].customdata) == [c.key for c in view.columns]  # the click targets, in forward order
    xs = list(fig.data[0].x)
    assert xs == sorted(xs)


def test_a_click_names_the_layer_to_open() -> None:
    from ui.figures.network import clicked_key

    tr_, _ = sample_trace()
    view = net.network_view(tr_)
    assert clicked_key(view, {"points": []}) is None
    assert clicked_key(view, {"points": [{"curve_number": 0, "point_index": 2}]}) == "block1.conv2"
    assert clicked_key(view, {"points": [{"curve_number": 1, "point_index": 0}]}) == "classifier"
    assert clicked_key(view, {"points": [{"curve_number": 0, "point_index": 99}]}) is None


# ---------------------------------------------------------------- the Overview section


def _links(at) -> list[tuple[str, str, str | None]]:  # noqa: ANN001 - AppTest
    """(label, page url name, layer selected by the link's query) of every link to a layer of the picture.

    The layer travels as the page's own bound query parameter (ui.nav.LAYER_PARAM, e.g. ?conv_layer=…); a page
    without a layer picker (the classifier) gets the link without a query."""
    titles = {tr(lang, spec.title_key) for spec in PAGES for lang in ("en", "zh")}
    out = []
    for link in at.get("page_link"):
        if link.proto.label in titles:  # "Explore each layer"
            continue
        q = parse_qs(link.proto.query_string)
        layer = next((q[p][0] for p in LAYER_PARAM.values() if p in q), None)
        out.append((link.proto.label, link.proto.page, layer))
    return out


def _expected_links(view) -> list[tuple[str, str, str | None]]:  # noqa: ANN001
    return [(c.key, Path(KIND_PAGE[c.kind]).stem, c.key if KIND_PAGE[c.kind] in LAYER_PARAM else None)
            for c in view.columns]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_shows_the_network_with_links_to_each_layer(lang: str) -> None:
    data, name = sample_bytes(0)
    at = run_page(PAGE, lang=lang, image=data, image_name=name)
    assert_page_ok(at)
    assert not catalog_leaks(at)
    assert tr(lang, "overview.net.title") in [e.value for e in at.subheader]
    tr_, image = sample_trace()
    view = net.network_view(tr_, pixels=image.pixels)
    assert _links(at) == _expected_links(view)
    assert tr(lang, "overview.net.intro", model="tinyvgg-relu", k=net.TOP_K) in [e.value for e in at.markdown]
    # "Explore each layer": every linked page once, two to a row so that whole titles fit
    explore = [link.proto.label for link in at.get("page_link") if not link.proto.query_string]
    assert explore == [tr(lang, k) for k in ("nav.convolution", "nav.activations", "nav.pooling", "nav.classifier")]


def test_overview_with_resnet18_shows_stages(resnet: nn.Module) -> None:
    at = run_page(PAGE, lang="en", model="imagenet-resnet18", image=photo_bytes("JPEG"), image_name="photo.jpg")
    assert_page_ok(at)
    assert tr("en", "overview.net.title") in [e.value for e in at.subheader]
    assert tr("en", "overview.net.intro_stages", model="ResNet-18", n=38, k=net.TOP_K) in [e.value for e in at.markdown]
    assert _links(at) == [("maxpool", "pooling", "maxpool"), ("layer1.1.relu#2", "activations", "layer1.1.relu#2"),
                          ("layer2.1.relu#2", "activations", "layer2.1.relu#2"),
                          ("layer3.1.relu#2", "activations", "layer3.1.relu#2"),
                          ("layer4.1.relu#2", "activations", "layer4.1.relu#2")]


def test_overview_with_an_mlp_shows_units() -> None:
    """A model without maps (an MLP trained in this session) gets its hidden layers as grids of units."""
    mlp = models.load("mlp-relu")
    name = "my-model-mlp00001"
    data, fname = sample_bytes(1)
    at = run_page(PAGE, lang="zh", model=name, image=data, image_name=fname,
                  state={"session_models": {name: (mlp, {"arch": "mlp", "activation": "relu", "name": name})}})
    assert_page_ok(at)
    assert at.session_state["cfg_model"] == name
    assert tr("zh", "overview.net.intro_units", model=name) in [e.value for e in at.markdown]
    assert _links(at) == [("fc1", "classifier", None), ("act1", "activations", "act1"),
                          ("fc2", "classifier", None), ("act2", "activations", "act2")]
