"""The attribution, tensors, MLP-vs-CNN and training-lab pages with the six ImageNet models, checked against
independent references (captum, torch's own forward, parameter counts from the modules), and unit tests of the
explain/ helpers these pages use for ImageNet (panel choice, parameter comparison)."""

from __future__ import annotations

import base64
import copy
import json

import numpy as np
import pytest
import torch
from torch import nn

import models
from explain.imagenet_input import prepare_rgb
from explain.indexing import panels_to_show
from explain.shift import param_comparison
from models import zoo
from tests.helpers import assert_page_ok, expected_colour, picture_rgb, run_page, without_inplace

ZOO = [s.name for s in zoo.ZOO]
PHOTO = models.photo_samples()[0].read_bytes()  # cat-chelsea.jpg


def _model_and_input(name: str) -> tuple[nn.Module, torch.Tensor]:
    """The page's model (same cached weights) and the photo prepared as the page prepares it."""
    s = zoo.spec(name)
    return zoo.load(s, allow_download=False).eval(), prepare_rgb(PHOTO, "cat.jpg", zoo.input_spec(s)).tensor


def _array(v) -> np.ndarray:  # noqa: ANN001 - a plotly JSON array (list or typed-array dict)
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if shape:
            a = a.reshape([int(n) for n in str(shape).split(",")])
        return a.astype(np.float64)
    return np.asarray(v, dtype=np.float64)


def _chart(at, title_start: str) -> dict:  # noqa: ANN001 - AppTest
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        title = spec.get("layout", {}).get("title", {})
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        if text.startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")




def _last_spatial_conv(model: nn.Module, x: torch.Tensor) -> str:
    """The last Conv2d called in the forward pass whose output has more than one position (own hooks, a copy)."""
    own = copy.deepcopy(model)
    names = {m: n for n, m in own.named_modules()}
    calls: list[str] = []
    hooks = [m.register_forward_hook(lambda mod, i, o: calls.append(names[mod]) if o.shape[-2] * o.shape[-1] > 1
                                     else None)
             for m in own.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        own(x)
    for h in hooks:
        h.remove()
    return calls[-1]


@pytest.fixture
def shown_maps(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every map picture (ui.figures.picture.MapImage) a page hands to ``ui.mapview.show_maps``, in order; the page
    still shows each (the pages import ``show_maps`` on every run, so they get this recording wrapper)."""
    import ui.mapview

    seen: list = []
    real = ui.mapview.show_maps

    def record(img, **kwargs) -> None:  # noqa: ANN001, ANN003
        seen.append(img)
        real(img, **kwargs)

    monkeypatch.setattr(ui.mapview, "show_maps", record)
    return seen


def _picture(seen: list, title_start: str):  # noqa: ANN202 - a MapImage
    titles = [img.title for img in seen]
    for img in seen:
        if img.title.startswith(title_start):
            return img
    raise AssertionError(f"no picture titled {title_start!r}…; titles: {titles}")


def _assert_overlay(img, pixels: np.ndarray, ref: np.ndarray, opacity: float = 0.6) -> None:  # noqa: ANN001
    """The picture is (1 − α)·photo + α·Jet((ref − min)/(max − min)) at every one of the 224x224 pixels, the colour
    taken from plotly's own Jet scale at the LUT index of the reference value; a value on the edge of a LUT bin may
    fall into the next one (the page's map and the reference differ in float rounding), so ±1 index is allowed."""
    lo, hi = float(ref.min()), float(ref.max())
    assert (img.zmin, img.zmax) == pytest.approx((lo, hi), abs=1e-3 * hi)
    jet = np.stack([expected_colour(i / 255, 0.0, 1.0, "Jet") for i in range(256)]).astype(np.float64)
    idx = np.rint(np.clip((ref - lo) / (hi - lo), 0, 1) * 255).astype(int)
    x, y = img.origins[0]
    f = img.factor
    h, w = ref.shape
    got = picture_rgb(img)[y + f // 2:y + h * f:f, x + f // 2:x + w * f:f].astype(np.float64)
    assert got.shape == (h, w, 3)
    ok = np.zeros((h, w), dtype=bool)
    for d in (-1, 0, 1):
        want = np.rint((1 - opacity) * pixels.astype(np.float64) + opacity * jet[np.clip(idx + d, 0, 255)])
        ok |= (np.abs(got - want) <= 1).all(axis=-1)
    assert ok.all(), f"{int((~ok).sum())} of {h * w} pixels differ"


@pytest.mark.parametrize("name", ZOO)
def test_attribution_page(name: str, zoo_weights, shown_maps: list) -> None:  # noqa: ANN001
    from captum.attr import LayerAttribution, LayerGradCam, Saliency

    at = run_page("pages/attribution.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300,
                  state={"attr_tab": "Gradients"})
    assert_page_ok(at)
    model, x = _model_and_input(name)
    pixels = prepare_rgb(PHOTO, "cat.jpg", zoo.input_spec(zoo.spec(name))).pixels
    with torch.no_grad():
        target = int(model(x).argmax())
    own = without_inplace(model)
    # saliency max_c |∂S_t/∂x_c|, every pixel of the picture over the photo
    sal = Saliency(own).attribute(x.clone(), target=target, abs=True)[0].amax(0)
    _assert_overlay(_picture(shown_maps, "Saliency"), pixels, sal.numpy())
    # Grad-CAM on the last spatial convolution (the default layer) against captum's LayerGradCam
    shown_maps.clear()
    at.session_state["attr_tab"] = "Grad-CAM"
    at.run()
    assert_page_ok(at)
    layer = _last_spatial_conv(model, x)
    cam = LayerGradCam(own, own.get_submodule(layer)).attribute(x.clone(), target=target, relu_attributions=True)
    up = LayerAttribution.interpolate(cam, (224, 224), interpolate_mode="bilinear")[0, 0].detach()
    _assert_overlay(_picture(shown_maps, f"Grad-CAM of {layer}"), pixels, up.numpy())


def test_attribution_costly_parts_run_on_request(zoo_weights) -> None:  # noqa: ANN001
    """ImageNet: SmoothGrad, the sanity check and occlusion wait for their toggles, then run and draw."""
    name = "imagenet-squeezenet1_1"
    at = run_page("pages/attribution.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300)
    # (tab, its toggle, charts and pictures the toggle adds): the SmoothGrad map; the Spearman chart and the
    # randomization maps; the occlusion map
    for tab, toggle, charts, pictures in (("Gradients", "attr_smooth_run", 0, 1),
                                          ("Sanity check", "attr_rand_run", 1, 1),
                                          ("Occlusion", "attr_occ_run", 0, 1)):
        at.session_state["attr_tab"] = tab
        at.run(timeout=300)
        assert_page_ok(at)
        assert toggle in {tg.key for tg in at.toggle}
        n_charts, n_pictures = len(at.get("plotly_chart")), len(at.get("image"))
        at.toggle(key=toggle).set_value(True).run(timeout=300)
        assert_page_ok(at)
        assert (len(at.get("plotly_chart")), len(at.get("image"))) == (n_charts + charts, n_pictures + pictures), tab


@pytest.mark.parametrize("name", ZOO)
def test_tensors_page(name: str, zoo_weights) -> None:  # noqa: ANN001
    at = run_page("pages/tensors.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300,
                  state={"tens_tab": "transforms.Compose"})
    assert_page_ok(at)
    assert any(s.value.startswith("Same tensor") for s in at.success)  # Compose == the app's preprocessing
    at.session_state["tens_tab"] = "Image embedding"
    at.run()
    assert_page_ok(at)
    model, x = _model_and_input(name)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:  # SqueezeNet classifies with a 1x1 convolution
        assert any("no Linear layer" in i.value for i in at.info)
        return
    tables = [df.value for df in at.dataframe if "cosine" in df.value.columns]
    assert len(tables) == 1
    # reference: the last Linear's input for each sample photo (own hook), cosine with the cat photo's
    spec = zoo.input_spec(zoo.spec(name))
    feats: list[torch.Tensor] = []
    hook = linears[-1].register_forward_hook(lambda m, i, o: feats.append(i[0].detach().reshape(i[0].shape[0], -1)))
    try:
        with torch.no_grad():
            model(torch.cat([x, *[prepare_rgb(p.read_bytes(), p.name, spec).tensor for p in models.photo_samples()]]))
    finally:
        hook.remove()
    f = feats[0].double()
    cos = torch.nn.functional.cosine_similarity(f[:1], f[1:]).sort(descending=True).values
    np.testing.assert_allclose(tables[0]["cosine"].to_numpy(dtype=float), cos.numpy(), atol=2e-4)
    d = linears[-1].in_features
    assert any(f"vector of {d} numbers" in m.value for m in at.markdown)


@pytest.mark.parametrize("name", ZOO)
def test_mlp_vs_cnn_page(name: str, zoo_weights) -> None:  # noqa: ANN001
    at = run_page("pages/mlp_vs_cnn.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300)
    assert_page_ok(at)
    model, _ = _model_and_input(name)
    mlps = models.available(arch="mlp")
    hidden = next(m for m in models.load(mlps[0].name).modules() if isinstance(m, nn.Linear)).out_features \
        if mlps else 256
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    table = next(df.value for df in at.dataframe if "Count" in df.value.columns)
    assert list(table["Parameters"]) == [
        3 * 224 * 224 * hidden + hidden,
        conv.weight.numel() + (conv.bias.numel() if conv.bias is not None else 0),
        sum(p.numel() for p in model.parameters()),
    ]
    assert any("Fashion-MNIST" in i.value for i in at.info)  # the rest of the page is labelled Fashion-MNIST
    assert any("Fashion-MNIST" in h.value for h in at.header)


@pytest.mark.parametrize("name", ZOO)
def test_training_lab_page(name: str, zoo_weights) -> None:  # noqa: ANN001
    at = run_page("pages/training_lab.py", model=name, image=PHOTO, image_name="cat.jpg", timeout=300)
    assert_page_ok(at)
    assert any("always trains a new TinyVGG on Fashion-MNIST" in i.value for i in at.info)
    model, x = _model_and_input(name)
    with torch.no_grad():
        p = torch.softmax(model(x)[0], 0)
    top = p.topk(10)
    spec = _chart(at, "Probabilities of the 10 most likely classes")
    assert len(spec["data"]) == 4
    for trace_ in spec["data"][2:]:  # the two eval-mode forwards = the model's own eval output
        np.testing.assert_allclose(_array(trace_["y"]), top.values.numpy(), rtol=1e-4, atol=1e-6)
    cats = models.class_names("en", "imagenet")
    assert list(spec["data"][2]["x"]) == [cats[int(i)] for i in top.indices]


# --- unit tests of the helpers ---------------------------------------------------------------------------------


def test_panels_to_show() -> None:
    mask = torch.zeros(64, 112, 112, dtype=torch.bool)
    mask[[5, 40, 41, 60], 3, 4] = True
    assert panels_to_show(mask, 40_000) == (5, 40, 41)  # 3 panels fit: the selected ones, in order
    assert panels_to_show(mask, 10) == (5,)  # at least one
    assert panels_to_show(torch.zeros(64, 112, 112, dtype=torch.bool), 40_000) == (0, 1, 2)
    assert panels_to_show(torch.ones(16, 28, 28, dtype=torch.bool), 40_000) == tuple(range(16))


def test_param_comparison_by_hand() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 5), nn.ReLU(), nn.Conv2d(8, 4, 3, bias=False), nn.Flatten(),
                        nn.Linear(4 * 2 * 2, 10))
    pc = param_comparison(net, (3, 8, 8), 100)
    assert pc.inputs == 192 and pc.mlp_first == 192 * 100 + 100
    assert pc.conv_name == "0" and pc.conv_weight_shape == (8, 3, 5, 5) and pc.conv_first == 8 * 75 + 8
    assert pc.total == (8 * 75 + 8) + 8 * 4 * 9 + (16 * 10 + 10)
    assert pc.ratio == pytest.approx(pc.mlp_first / pc.total)
    from torchvision.models import resnet18

    r = param_comparison(resnet18(weights=None), (3, 224, 224), 256)
    assert (r.inputs, r.conv_first, r.total) == (150_528, 64 * 3 * 7 * 7, 11_689_512)
    with pytest.raises(ValueError):
        param_comparison(nn.Linear(3, 2), (3,), 4)
