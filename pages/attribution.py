"""What did the network look at: saliency, gradient × input, SmoothGrad, Grad-CAM, a sanity check, occlusion."""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from explain.attribution import (
    MAX_OCCLUSION_PASSES,
    MAX_SMOOTH_SAMPLES,
    OCCLUSION_CHUNK,
    AttributionError,
    Occlusion,
    RandomizationCheck,
    SmoothGradResult,
    grad_cam,
    grad_cam_layers,
    gradient_times_input,
    occlusion,
    occlusion_positions,
    randomization_check,
    saliency,
    smoothgrad,
)
from ui.figures.attribution import attribution_overlay, channel_weights_bar, randomization_maps, spearman_chart
from ui.i18n import class_name, t
from ui.sidebar import page_context

PREDICTED = -1
RHO_OK = 0.5  # a fully randomized model's saliency should rank pixels very differently


@st.cache_resource(max_entries=64, show_spinner=False)
def _smoothgrad(model_name: str, digest: str, target: int, n: int, sigma: float, _model: nn.Module,
                _x: torch.Tensor) -> SmoothGradResult:
    return smoothgrad(_model, _x, target, n=n, sigma=sigma)


@st.cache_resource(max_entries=64, show_spinner=False)
def _randomization(model_name: str, digest: str, target: int, _model: nn.Module,
                   _x: torch.Tensor) -> RandomizationCheck:
    return randomization_check(_model, _x, target)


@st.cache_resource(max_entries=64, show_spinner=False)
def _occlusion(model_name: str, digest: str, target: int, patch: int, stride: int, _model: nn.Module,
               _x: torch.Tensor) -> Occlusion:
    return occlusion(_model, _x, target, patch=patch, stride=stride)


def _show_error(err: AttributionError) -> None:
    st.error(t(f"attr.error.{err.code}", **err.params))


ctx = page_context()
st.title(t("attr.title"))
st.markdown(t("attr.intro"))
image = ctx.require_image()
base = ctx.trace()
n_classes = base.logits.shape[1]
choice = st.selectbox(
    t("attr.target"), [PREDICTED, *range(n_classes)], key="attr_target",
    format_func=lambda c: t("attr.target_pred", label=class_name(base.prediction)) if c == PREDICTED
    else class_name(c))
tr = ctx.trace(target=None if choice == PREDICTED else int(choice), loss="logit")
target = tr.target[0]
label = class_name(target)
st.markdown(t("attr.target_info", label=label, prob=float(tr.probs[0, target]), score=float(tr.logits[0, target])))
pixels = image.pixels

# 1. Gradients with respect to the input
st.subheader(t("attr.grad.header"))
s1, s2 = st.columns(2)
n = int(s1.slider(t("attr.smooth_n"), 1, min(50, MAX_SMOOTH_SAMPLES), 16, key="attr_smooth_n"))
sigma = float(s2.slider(t("attr.smooth_sigma"), 0.0, 0.5, 0.15, 0.05, key="attr_smooth_sigma"))
c1, c2, c3 = st.columns(3)
with c1:
    st.plotly_chart(attribution_overlay(pixels, saliency(tr), title=t("attr.saliency")), width="stretch")
    st.caption(t("attr.saliency_help"))
with c2:
    st.plotly_chart(attribution_overlay(pixels, gradient_times_input(tr), signed=True, title=t("attr.gxi")),
                    width="stretch")
    st.caption(t("attr.gxi_help"))
with c3:
    try:
        sg = _smoothgrad(ctx.model_name, image.digest, target, n, sigma, ctx.model, image.tensor)
        st.plotly_chart(attribution_overlay(pixels, sg.map, title=t("attr.smooth", n=sg.n)), width="stretch")
        st.caption(t("attr.smooth_help"))
    except AttributionError as e:
        _show_error(e)

# 2. Grad-CAM
st.subheader(t("attr.cam.header"))
cam_layers = grad_cam_layers(tr)
if not cam_layers:
    st.info(t("common.not_applicable", why=t("attr.cam.none")))
else:
    conv = [r.key for r in tr.of_kind("Conv2d")]
    after_last_conv = cam_layers.index(conv[-1]) + 1 if conv and conv[-1] in cam_layers else len(cam_layers) - 1
    default = min(after_last_conv, len(cam_layers) - 1)
    key = st.selectbox(t("attr.cam.layer"), cam_layers, index=default, key="attr_cam_layer")
    cam = grad_cam(tr, key)
    st.caption(t("attr.cam.caption", layer=key, shape=list(cam.layer_shape), small=list(cam.cam.shape),
                 size=list(cam.upsampled.shape)))
    g1, g2 = st.columns([2, 3])
    with g1:
        st.plotly_chart(attribution_overlay(pixels, cam.upsampled, title=t("attr.cam.map", layer=key)), width="stretch")
        if float(cam.cam.max()) <= 0:
            st.info(t("attr.cam.zero"))
    with g2:
        st.plotly_chart(channel_weights_bar(cam.weights, title=t("attr.cam.weights", layer=key)), width="stretch")
        st.caption(t("attr.cam.help"))

# 3. Sanity check
st.subheader(t("attr.rand.header"))
st.markdown(t("attr.rand.intro"))
check = _randomization(ctx.model_name, image.digest, target, ctx.model, image.tensor)
step_labels = [t("attr.rand.step", layer=s.layers[-1]) for s in check.steps]
st.plotly_chart(randomization_maps(check.original, check.steps, [t("attr.rand.trained"), *step_labels],
                                   title=t("attr.rand.maps")), width="stretch")
r1, r2 = st.columns([3, 2])
with r1:
    st.plotly_chart(spearman_chart([t("attr.rand.trained"), *step_labels], [1.0, *[s.spearman for s in check.steps]],
                                   title=t("attr.rand.chart")), width="stretch")
with r2:
    st.dataframe([{t("attr.rand.col.step"): ", ".join(s.layers), t("attr.rand.col.rho"): round(s.spearman, 3)}
                  for s in check.steps], hide_index=True, width="stretch")
    final = check.steps[-1].spearman if check.steps else float("nan")
    st.markdown(t("attr.rand.verdict_ok" if final < RHO_OK else "attr.rand.verdict_bad", rho=final))

# 4. Occlusion
st.subheader(t("attr.occ.header"))
st.markdown(t("attr.occ.intro"))
o1, o2 = st.columns(2)
h, w = pixels.shape[:2]
patch = int(o1.slider(t("attr.occ.patch"), 2, min(h, w) // 2, 4, key="attr_occ_patch"))
stride_req = int(o2.slider(t("attr.occ.stride"), 1, 7, 2, key="attr_occ_stride"))
stride = min(stride_req, patch)
if stride != stride_req:
    st.caption(t("attr.occ.stride_clamped", s=stride))
rows, cols = len(occlusion_positions(h, patch, stride)), len(occlusion_positions(w, patch, stride))
st.caption(t("attr.occ.cost", passes=rows * cols, rows=rows, cols=cols, limit=MAX_OCCLUSION_PASSES,
             chunk=OCCLUSION_CHUNK))
try:
    occ = _occlusion(ctx.model_name, image.digest, target, patch, stride, ctx.model, image.tensor)
    st.plotly_chart(attribution_overlay(pixels, occ.map, signed=True, title=t("attr.occ.map", label=label,
                                                                                 base=occ.base), height=380),
                    width="stretch")
except AttributionError as e:
    _show_error(e)

with st.expander(t("attr.trust.title")):
    st.markdown(t("attr.trust.body"))
