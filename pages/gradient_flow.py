"""Gradient flow: per-layer gradient norms for this image, across activation functions, over a test batch."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch
from torch import nn

import models
from explain.gradients import (
    BatchGradientFlow,
    GradientFlow,
    batch_flow,
    conv_grad_maps,
    conv_keys,
    first_layer_ratio,
    flow_from_trace,
    top_inputs,
)
from explain.imaging import PreparedImage
from explain.summary import not_stored
from explain.trace import LossKind, Trace, trace
from models.arch import ACTIVATIONS
from ui import state
from ui.figures.gradients import flow_chart, flow_comparison, kernel_norm_matrix
from ui.figures.maps import tiled_maps
from ui.i18n import class_name, class_names, t
from ui.mapview import show_maps
from ui.paging import channel_pager
from ui.sections import lazy_tabs
from ui.sidebar import PageContext, page_context

PREDICTED = -1
UNTRAINED_ARCH = "tinyvgg"


def _untrained_model(arch: str, activation: str) -> nn.Module:
    """The freshly initialised network (seed 0): built once per process, shared read-only like the trained ones."""
    return state.shared(models.build, arch, activation, seed=0)


def _untrained_flow(activation: str, target: int | None, loss: LossKind, label: int | None,
                    x: torch.Tensor) -> GradientFlow:
    """The gradient flow of the untrained network with ``activation`` on the image ``x``."""
    model = _untrained_model(UNTRAINED_ARCH, activation)
    return flow_from_trace(trace(model, x, target=target, loss=loss, label=label), activation)


def _ratio_line(key: str, flows: dict[str, GradientFlow]) -> None:
    if "relu" in flows and "sigmoid" in flows:
        ratio = first_layer_ratio(flows["relu"], flows["sigmoid"])
        if ratio is not None:
            st.markdown(t(key, ratio=ratio, relu=flows["relu"].first_weight_norm(),
                          sigmoid=flows["sigmoid"].first_weight_norm()))


def render_batch(infos: list[models.ModelInfo], n_batch: int) -> None:
    """Both batch charts: needs no image, and is computed once per process and model."""
    st.markdown(t("grad.batch.intro", n=n_batch))
    reduction = st.radio(t("grad.batch.reduction"), ["mean_norm", "mean_grad"], key="grad_reduction",
                         format_func=lambda r: t(f"grad.batch.{r}"), help=t("grad.batch.reduction_help"))
    jobs = [("trained", m.activation, m.name, lambda m=m: state.get_model(m.name)) for m in infos]
    jobs += [("untrained", a, a, lambda a=a: _untrained_model(UNTRAINED_ARCH, a)) for a in ACTIVATIONS]
    bar = st.progress(0.0, text=t("grad.batch.computing", n=n_batch))
    flows: dict[str, dict[str, BatchGradientFlow]] = {"trained": {}, "untrained": {}}
    for i, (kind, act_name, name, model) in enumerate(jobs):  # cached per process: slow only for the first visitor
        flows[kind][act_name] = state.shared(batch_flow, model(), *models.test_batch(), name, scope=(kind, name))
        bar.progress((i + 1) / len(jobs), text=t("grad.batch.computing", n=n_batch))
    bar.empty()
    trained, untrained = flows["trained"], flows["untrained"]
    st.caption(t("grad.batch.showing", what=t(f"grad.batch.{reduction}")))
    names = {m.activation: m.name for m in infos}
    axis = _axis_titles()
    if trained:
        st.plotly_chart(flow_comparison([b.get(reduction) for b in trained.values()], activations=list(trained),
                                        title=t("grad.batch.trained", n=n_batch), **axis), width="stretch")
    _ratio_line("grad.ratio.trained", {a: b.get(reduction) for a, b in trained.items()})
    st.plotly_chart(flow_comparison([b.get(reduction) for b in untrained.values()], activations=list(untrained),
                                    dashed=True, title=t("grad.batch.untrained", n=n_batch), **axis), width="stretch")
    _ratio_line("grad.ratio.untrained", {a: b.get(reduction) for a, b in untrained.items()})
    rows = []
    for is_trained, group in ((True, trained), (False, untrained)):
        for act, b in group.items():
            f = b.get(reduction)
            weighted = f.weighted()
            rows.append({
                t("grad.batch.col.model"): names.get(act, act) if is_trained else f.label,
                t("grad.batch.col.trained"): t("grad.yes") if is_trained else t("grad.no"),
                t("grad.batch.col.accuracy"): f"{b.accuracy:.1%}",
                t("grad.batch.col.loss"): round(f.loss, 4),
                t("grad.batch.col.first"): f"{weighted[0].weight_grad_norm:.2e}" if weighted else "–",
                t("grad.batch.col.last"): f"{weighted[-1].weight_grad_norm:.2e}" if weighted else "–",
            })
    st.dataframe(rows, hide_index=True, width="stretch")
    with st.expander(t("grad.why.title")):
        st.markdown(t("grad.why.body"))


def _axis_titles() -> dict[str, str]:
    return {"output_title": t("grad.compare.out_title"), "weight_title": t("grad.compare.w_title"),
            "y_title": t("grad.axis.norm")}


@dataclass(frozen=True)
class Target:
    """What is differentiated: the trace of (target, loss, label) and the class it is about."""

    trace: Trace
    chosen: int
    target: int | None
    loss: LossKind
    label: int | None


def choose_target(ctx: PageContext) -> Target:
    """The target and loss controls (above the tabs: every tab differentiates the same thing)."""
    base = ctx.trace()
    n_classes = base.logits.shape[1]
    names = dict(enumerate(class_names()))  # labels made now, in this run's language
    names[PREDICTED] = t("grad.target_pred", label=names[base.prediction])
    c1, c2, c3 = st.columns(3)
    target_opt = c1.selectbox(t("grad.target"), [PREDICTED, *range(n_classes)], key="grad_target",
                              format_func=names.__getitem__)
    loss: LossKind = c2.radio(t("grad.loss"), ["logit", "cross_entropy"], key="grad_loss",
                              format_func=lambda k: t(f"grad.loss.{k}"), help=t("grad.loss_help"))
    target = None if target_opt == PREDICTED or loss != "logit" else int(target_opt)
    label = None
    if loss == "cross_entropy":
        default = base.prediction if target_opt == PREDICTED else int(target_opt)
        label = int(c3.selectbox(t("grad.label"), list(range(n_classes)), key="grad_label", index=default,
                                 format_func=names.__getitem__))
    tr = ctx.trace(target=target, loss=loss, label=label)
    chosen = tr.target[0] if loss == "logit" else (tr.label or (0,))[0]
    st.caption(t(f"grad.loss_value.{loss}", t=chosen, label=class_name(chosen), value=tr.loss))
    return Target(tr, chosen, target, loss, label)


def render_image(ctx: PageContext, tg: Target) -> None:
    """This model's gradient norms, layer by layer, for the current image (the page's shared trace)."""
    tr = tg.trace
    flow = ctx.shared(flow_from_trace, tr, ctx.model_name)  # ResNet-18: 11 M gradients in float64, once
    st.plotly_chart(flow_chart(flow, title=t("grad.single.title", model=ctx.model_name),
                               output_name=t("grad.series.output"), weight_name=t("grad.series.weights"),
                               y_title=t("grad.axis.norm")), width="stretch")
    st.caption(t("grad.single.caption"))
    missing = [r.key for r in tr.layers if not_stored(r)]
    if missing:
        st.caption(t("grad.single.not_stored", layers=", ".join(missing)))
    reused = [k for k in flow.keys() if "#" in k]
    if ctx.is_imagenet or reused:
        st.caption(t("grad.single.order", n=len(flow.layers), reused=", ".join(reused[:4]) or "–"))
    if not ctx.is_imagenet:
        st.caption(t("grad.single.compare_hint", tab=t("grad.tab.compare")))


def render_compare(ctx: PageContext, image: PreparedImage, infos: list[models.ModelInfo], tg: Target) -> None:
    """The same image through every trained variant and through the untrained networks (10 traces, computed
    when this tab is opened)."""
    chosen, target, loss, label = tg.chosen, tg.target, tg.loss, tg.label
    if ctx.is_imagenet:
        st.info(t("common.imagenet_not_applicable", why=t("grad.compare.fmnist_only"), title=ctx.title))
        return
    if loss == "cross_entropy":
        target_text = t("grad.loss.cross_entropy") + f" (y = {class_name(chosen)})"
    else:
        target_text = t("grad.compare.own_pred") if target is None else class_name(target)
    axis = _axis_titles()
    st.subheader(t("grad.compare.trained"))
    trained = {m.activation: flow_from_trace(state.trace_for(m.name, image, target, loss, label), m.name)
               for m in infos}
    st.plotly_chart(flow_comparison(list(trained.values()), activations=list(trained), **axis), width="stretch")
    st.caption(t("grad.compare.caption", target=target_text))
    if len(trained) < len(ACTIVATIONS):
        st.caption(t("grad.compare.only_one", n=len(trained)))
    _ratio_line("grad.ratio.trained", trained)
    st.subheader(t("grad.compare.untrained"))
    untrained = {a: state.shared(_untrained_flow, a, target, loss, label, image.tensor,
                                 scope=("untrained", image.digest)) for a in ACTIVATIONS}
    st.plotly_chart(flow_comparison(list(untrained.values()), activations=list(untrained), dashed=True, **axis),
                    width="stretch")
    _ratio_line("grad.ratio.untrained", untrained)
    with st.expander(t("grad.why.title")):
        st.markdown(t("grad.why.body"))


def render_maps(tr: Trace, chosen: int) -> None:
    """dL/d(output) of one conv layer as tiled maps (top-N channels when there are many), and its kernels' weight
    gradients for the shown output channels and at most 16 input channels."""
    keys = conv_keys(tr)
    if not keys:
        st.info(t("common.not_applicable", why=t("grad.maps.no_conv")))
        return
    m1, m2 = st.columns([2, 3])
    key = m1.selectbox(t("grad.maps.layer"), keys, key="grad_conv")
    try:
        maps = conv_grad_maps(tr, key)
    except ValueError:
        st.info(t("common.not_for_layer", layer=key, why=t("grad.maps.no_weight_grad")))
        return
    mode = m2.radio(t("common.color_range"), ["map", "layer", "global"], key="grad_range", horizontal=True,
                    format_func=lambda r: t(f"common.range.{r}"))
    fixed = 1.0
    if mode == "global":
        default = float(maps.output_grad.abs().max()) or 1.0
        fixed = float(m2.number_input(t("grad.maps.fixed"), min_value=1e-12, value=default, format="%.3e",
                                      key=f"grad_fixed_{key}"))
    page = channel_pager(maps.output_grad, key=f"grad_page_{key}", by="abs")
    shown = list(page.channels)
    show_maps(tiled_maps(maps.output_grad[shown], prefix=t("grad.maps.map_prefix"), channels=shown,
                         title=t("grad.maps.output_title", layer=key, shape=list(maps.out_shape)),
                         range_mode=mode, fixed=fixed, signed=True))
    st.caption(t("grad.maps.output_caption"))
    k1, k2 = st.columns(2)
    inputs = top_inputs(maps, shown)
    c_in, kh, kw = maps.weight_shape[1:]
    with k1:
        norms = maps.kernel_norms[shown][:, inputs]
        st.plotly_chart(kernel_norm_matrix(norms, title=t("grad.maps.kernel_norms", layer=key,
                                                          shape=list(maps.weight_shape)),
                                           x_title=t("grad.maps.axis_in"), y_title=t("grad.maps.axis_out"),
                                           rows=shown, cols=inputs), width="stretch")
    with k2:
        o = int(st.selectbox(t("grad.maps.channel"), shown, key=f"grad_channel_{key}"))
        own = top_inputs(maps, [o])
        show_maps(tiled_maps(maps.weight_grad[o][own], prefix=t("grad.maps.kernel_prefix"), channels=own,
                             title=t("grad.maps.kernels_title", o=o, cin=c_in, kh=kh, kw=kw),
                             range_mode="layer" if mode == "global" else mode, signed=True, target_width=600))
    if c_in > len(inputs):
        st.caption(t("grad.maps.inputs_limited", n=len(inputs), c=c_in))
    st.caption(t("grad.maps.weights_caption"))


def main(ctx: PageContext) -> None:
    st.title(t("grad.title"))
    st.markdown(t("grad.intro"))
    trained_infos = models.available()
    n_test = int(models.test_batch()[0].shape[0])

    def batch() -> None:
        if ctx.is_imagenet:  # the batch comparison is of the Fashion-MNIST variants on their test set
            st.info(t("common.imagenet_not_applicable", why=t("grad.batch.fmnist_only", n=n_test), title=ctx.title))
        else:  # needs no image; computed once per process, when this tab is first opened
            render_batch(trained_infos, n_test)

    if ctx.image is None:  # the batch part needs no image: offer it, then the image prompt
        lazy_tabs("grad_tab", [(t("grad.tab.image"), ctx.require_image), (t("grad.tab.compare"), ctx.require_image),
                               (t("grad.tab.batch", n=n_test), batch)])
        return
    tg = choose_target(ctx)
    lazy_tabs("grad_tab", [
        (t("grad.tab.image"), lambda: render_image(ctx, tg)),
        (t("grad.tab.compare"), lambda: render_compare(ctx, ctx.image, trained_infos, tg)),
        (t("grad.tab.batch", n=n_test), batch),
        (t("grad.tab.maps"), lambda: render_maps(tg.trace, tg.chosen)),
    ])

main(page_context())
