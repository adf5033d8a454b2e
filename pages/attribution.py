"""What did the network look at: saliency, gradient × input, SmoothGrad, Grad-CAM, a sanity check, occlusion."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explain.attribution import (
    MAX_OCCLUSION_PASSES,
    MAX_SMOOTH_SAMPLES,
    AttributionError,
    default_cam_layer,
    grad_cam,
    grad_cam_conv_layers,
    grad_cam_layers,
    gradient_times_input,
    occlusion,
    occlusion_chunk,
    occlusion_grid,
    occlusion_stride,
    randomization_check,
    saliency,
    smoothgrad,
    target_options,
)
from explain.imaging import PreparedImage
from explain.trace import Trace
from ui import state
from ui.figures.attribution import attribution_overlay, channel_weights_bar, randomization_maps, spearman_chart
from ui.i18n import class_name, t
from ui.mapview import show_maps
from ui.sections import lazy_tabs
from ui.sidebar import PageContext, page_context

PREDICTED = -1
OTHER = -2  # ImageNet: "another class", typed as a number
TOP_CLASSES = 10  # ImageNet: the classes offered in the picker besides the prediction
# ImageNet models (224x224, up to ~7.6 GFLOPs a forward): every extra pass is bounded
PHOTO_SMOOTH_MAX, PHOTO_SMOOTH_DEFAULT = 8, 4
PHOTO_RAND_STEPS = 3  # the cascading randomization in ≤ 3 groups of layers
PHOTO_PATCHES = (112, 75, 56, 45, 32)  # occlusion patch sides (224/2 … 224/7)
PHOTO_PATCH_DEFAULT = 75  # 3 × 3 = 9 forward passes
PHOTO_OCC_LIMIT = 64


def pick_target(ctx: PageContext, tr_base: Trace) -> int | None:
    """The class to explain (None = the prediction). Fashion-MNIST: any of the 10 classes; ImageNet: the top-10
    classes of this image, or any class number typed in."""
    pred = tr_base.prediction
    if not ctx.is_imagenet:
        options = [PREDICTED, *range(tr_base.logits.shape[1])]
        labels = {c: class_name(c) for c in options if c >= 0}
    else:
        top = target_options(tr_base, TOP_CLASSES)
        options = [PREDICTED, *top, OTHER]
        probs = tr_base.probs[0]
        labels = {c: t("attr.target_top", label=class_name(c), k=c, prob=float(probs[c])) for c in top}
        labels[OTHER] = t("attr.target_other")
    labels[PREDICTED] = t("attr.target_pred", label=class_name(pred))
    state.forget_invalid("attr_target", options)
    choice = st.selectbox(t("attr.target"), options, key="attr_target", format_func=labels.get)
    if choice == OTHER:
        n = tr_base.logits.shape[1]
        return int(st.number_input(t("attr.target_index", max=n - 1), 0, n - 1, pred, step=1, key="attr_target_k"))
    return None if choice == PREDICTED else int(choice)


def _show_error(err: AttributionError) -> None:
    st.error(t(f"attr.error.{err.code}", **err.params))


def _wanted(ctx: PageContext, key: str, passes: int) -> bool:
    """ImageNet models: a costly section runs only when asked (each pass is a large network's forward)."""
    return not ctx.is_imagenet or st.toggle(t("attr.heavy.run", passes=passes, title=ctx.title), key=key,
                                            help=t("attr.heavy.help"))


def gradients_section(ctx: PageContext, image: PreparedImage, tr: Trace) -> None:
    """1. Gradients with respect to the input: saliency, gradient × input, SmoothGrad."""
    st.subheader(t("attr.grad.header"))
    target, pixels = tr.target[0], image.pixels
    s1, s2 = st.columns(2)
    n_max, n_default = ((PHOTO_SMOOTH_MAX, PHOTO_SMOOTH_DEFAULT) if ctx.is_imagenet
                        else (min(50, MAX_SMOOTH_SAMPLES), 16))
    n = int(s1.slider(t("attr.smooth_n"), 1, n_max, n_default, key=f"attr_smooth_n_{ctx.family}"))
    sigma = float(s2.slider(t("attr.smooth_sigma"), 0.0, 0.5, 0.15, 0.05, key="attr_smooth_sigma"))
    c1, c2, c3 = st.columns(3)
    with c1:
        show_maps(attribution_overlay(pixels, saliency(tr), title=t("attr.saliency")))
        st.caption(t("attr.saliency_help"))
    with c2:
        show_maps(attribution_overlay(pixels, gradient_times_input(tr), signed=True, title=t("attr.gxi")))
        st.caption(t("attr.gxi_help"))
    with c3:
        if not _wanted(ctx, "attr_smooth_run", n):  # ImageNet: n more passes of a large network, on request
            st.markdown(f"**{t('attr.smooth', n=n)}**")
            st.caption(t("attr.smooth_help"))
            return
        try:
            with st.spinner(t("attr.smooth_running", n=n)):
                sg = ctx.shared(smoothgrad, ctx.model, image.tensor, target, n=n, sigma=sigma)
            show_maps(attribution_overlay(pixels, sg.map, title=t("attr.smooth", n=sg.n)))
            st.caption(t("attr.smooth_help"))
        except AttributionError as e:
            _show_error(e)


def cam_section(ctx: PageContext, pixels: np.ndarray, tr: Trace) -> None:
    """2. Grad-CAM on a layer with spatial maps."""
    st.subheader(t("attr.cam.header"))
    cam_layers = grad_cam_conv_layers(tr) if ctx.is_imagenet else grad_cam_layers(tr)
    if not cam_layers:
        st.info(t("common.not_applicable", why=t("attr.cam.none")))
        return
    default = default_cam_layer(tr, cam_layers, conv_only=ctx.is_imagenet)
    state.forget_invalid("attr_cam_layer", cam_layers)
    key = st.selectbox(t("attr.cam.layer_conv" if ctx.is_imagenet else "attr.cam.layer"), cam_layers, index=default,
                       key="attr_cam_layer", format_func=lambda k: f"{k} · {list(tr[k].output.shape[1:])}")
    cam = grad_cam(tr, key)
    st.caption(t("attr.cam.caption", layer=key, shape=list(cam.layer_shape), small=list(cam.cam.shape),
                 size=list(cam.upsampled.shape)))
    g1, g2 = st.columns([2, 3])
    with g1:
        show_maps(attribution_overlay(pixels, cam.upsampled, title=t("attr.cam.map", layer=key)))
        if float(cam.cam.max()) <= 0:
            st.info(t("attr.cam.zero"))
    with g2:
        st.plotly_chart(channel_weights_bar(cam.weights, title=t("attr.cam.weights", layer=key)), width="stretch")
        st.caption(t("attr.cam.help"))


def _sanity_check(ctx: PageContext, image: PreparedImage, target: int) -> None:
    """The cascading randomization: maps, Spearman's ρ per step, the verdict."""
    max_steps = PHOTO_RAND_STEPS if ctx.is_imagenet else None
    with st.spinner(t("attr.rand.running")):
        check = ctx.shared(randomization_check, ctx.model, image.tensor, target, max_steps=max_steps)
    if check.n_layers > len(check.steps):
        st.caption(t("attr.rand.grouped", n=check.n_layers, k=len(check.steps)))
    step_labels = [t("attr.rand.step", layer=s.layers[-1]) for s in check.steps]
    if len(set(step_labels)) < len(step_labels):  # never expected; keep the chart's categories distinct
        step_labels = [f"{i + 1}. {lab}" for i, lab in enumerate(step_labels)]
    show_maps(randomization_maps(check.original, check.steps, [t("attr.rand.trained"), *step_labels],
                                 title=t("attr.rand.maps")))
    r1, r2 = st.columns([3, 2])
    with r1:
        st.plotly_chart(spearman_chart([t("attr.rand.trained"), *step_labels],
                                       [1.0, *[s.spearman for s in check.steps]], title=t("attr.rand.chart")),
                        width="stretch")
    with r2:
        st.dataframe([{t("attr.rand.col.step"): ", ".join(s.layers), t("attr.rand.col.rho"): round(s.spearman, 3)}
                      for s in check.steps], hide_index=True, width="stretch")
        st.markdown(t("attr.rand.verdict_ok" if check.passed() else "attr.rand.verdict_bad",
                      rho=check.final_spearman))


def sanity_section(ctx: PageContext, image: PreparedImage, target: int) -> None:
    """3. The sanity check (model randomization), run on request for an ImageNet model."""
    st.subheader(t("attr.rand.header"))
    st.markdown(t("attr.rand.intro"))
    if _wanted(ctx, "attr_rand_run", 2 * (1 + PHOTO_RAND_STEPS)):
        _sanity_check(ctx, image, target)


def occlusion_section(ctx: PageContext, image: PreparedImage, target: int) -> None:
    """4. Occlusion: how much the score drops when a patch is hidden."""
    st.subheader(t("attr.occ.header"))
    st.markdown(t("attr.occ.intro"))
    pixels = image.pixels
    o1, o2 = st.columns(2)
    h, w = pixels.shape[:2]
    if ctx.is_imagenet:  # a coarse grid: every position is a forward pass of a large network
        patch = int(o1.select_slider(t("attr.occ.patch"), PHOTO_PATCHES, PHOTO_PATCH_DEFAULT, key="attr_occ_patch_rgb",
                                     help=t("attr.occ.photo_help", limit=PHOTO_OCC_LIMIT)))
        overlap = o2.radio(t("attr.occ.overlap"), ["none", "half"], key="attr_occ_overlap", horizontal=True,
                           format_func=lambda o: t(f"attr.occ.overlap.{o}"))
        stride = occlusion_stride(patch, overlap=overlap)
        limit = PHOTO_OCC_LIMIT
    else:
        patch = int(o1.slider(t("attr.occ.patch"), 2, min(h, w) // 2, 4, key="attr_occ_patch"))
        stride_req = int(o2.slider(t("attr.occ.stride"), 1, 7, 2, key="attr_occ_stride"))
        stride = occlusion_stride(patch, requested=stride_req)
        if stride != stride_req:
            st.caption(t("attr.occ.stride_clamped", s=stride))
        limit = MAX_OCCLUSION_PASSES
    rows, cols = occlusion_grid(h, w, patch, stride)
    st.caption(t("attr.occ.cost", passes=rows * cols, rows=rows, cols=cols, limit=limit, chunk=occlusion_chunk(h, w)))
    if _wanted(ctx, "attr_occ_run", rows * cols + 1):
        try:
            with st.spinner(t("attr.occ.running", passes=rows * cols)):
                occ = ctx.shared(occlusion, ctx.model, image.tensor, target, patch=patch, stride=stride,
                                 max_passes=limit)
            show_maps(attribution_overlay(pixels, occ.map, signed=True,
                                          title=t("attr.occ.map", label=class_name(target), base=occ.base)))
        except AttributionError as e:
            _show_error(e)


def main(ctx: PageContext) -> None:
    st.title(t("attr.title"))
    st.markdown(t("attr.intro"))
    image = ctx.require_image()
    tr = ctx.trace(target=pick_target(ctx, ctx.trace()), loss="logit")
    target = tr.target[0]
    st.markdown(t("attr.target_info", label=class_name(target), prob=float(tr.probs[0, target]),
                  score=float(tr.logits[0, target])))
    lazy_tabs("attr_tab", [
        (t("attr.tab.gradients"), lambda: gradients_section(ctx, image, tr)),
        (t("attr.tab.cam"), lambda: cam_section(ctx, image.pixels, tr)),
        (t("attr.tab.sanity"), lambda: sanity_section(ctx, image, target)),
        (t("attr.tab.occlusion"), lambda: occlusion_section(ctx, image, target)),
    ])
    with st.expander(t("attr.trust.title")):
        st.markdown(t("attr.trust.body"))


main(page_context())
