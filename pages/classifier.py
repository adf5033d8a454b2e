"""Classifier head: flatten, the fully connected layer as one dot product per class, softmax, loss."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from explain import classifier as cls
from explain.tensors import committed_class
from explain.trace import LayerRecord, Trace
from ui.figures.activations import shared_abs_max
from ui.figures.classifier import (
    channel_votes_figure,
    flatten_figure,
    grads_figure,
    loss_curves_figure,
    probs_figure,
    terms_figure,
)
from ui.figures.maps import heatmap, tiled_maps
from ui.i18n import class_names, t
from ui.mapview import show_maps
from ui.sections import lazy_tabs
from ui.sidebar import PageContext, page_context

MANY_CLASSES = 20  # more classes than this (ImageNet): show the top-N classes, not 1000 bars
TOP_N = 10
RANGE_MODES = ["layer", "map", "global"]
TEMPERATURES = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0]


def _terms_chart(bd: cls.LogitBreakdown, unit: str) -> None:
    """The largest terms W[k,i]·xᵢ as bars, and what the other terms add (the sum check in numbers)."""
    labels = []
    for i in bd.top:
        if bd.shape is not None:
            c, h, w = cls.unflatten_index(bd.shape, i)
            labels.append(t("cls.term_label", i=i, c=c, h=h, w=w, wt=float(bd.weights[i]), x=float(bd.features[i])))
        else:
            labels.append(t(f"cls.term_label_{unit}", i=i, wt=float(bd.weights[i]), x=float(bd.features[i])))
    st.plotly_chart(terms_figure(labels, [float(bd.terms[i]) for i in bd.top],
                                 title=t("cls.top_terms", n=len(bd.top), d=bd.terms.size)), width="stretch")
    if bd.terms.size > len(bd.top):
        st.caption(t("cls.rest_terms", n=len(bd.top), top=bd.top_sum, m=bd.terms.size - len(bd.top),
                     rest=bd.dot - bd.top_sum, bias=bd.bias, total=bd.total))


def flatten_section(tr: Trace) -> None:
    """1 · flatten: one element (c, h, w) of the feature map and its place i in the vector."""
    st.header(t("cls.flatten"))
    try:
        fl = cls.flatten_step(tr)
    except cls.NotApplicable:
        st.info(t("cls.no_flatten"))
        return
    c_, h_, w_ = (int(s) for s in fl.input.shape[1:])
    st.caption(t("cls.flatten_shapes", name=fl.key, shape_in=list(fl.input.shape), shape_out=list(fl.output.shape)))
    if not fl.module:
        st.info(t("cls.flatten_functional", source=fl.source, reader=fl.reader))
    st.markdown(t("cls.flatten_intro"))
    c0, h0, w0 = cls.strongest_element(tr)
    a, b, c = st.columns(3)
    ci = a.number_input(t("cls.flatten_c"), 0, c_ - 1, c0, key="cls_c")
    hi = b.number_input(t("cls.flatten_h"), 0, h_ - 1, h0, key="cls_h")
    wi = c.number_input(t("cls.flatten_w"), 0, w_ - 1, w0, key="cls_w")
    view = cls.flatten_view(tr, int(ci), int(hi), int(wi))
    st.latex(rf"i = c\cdot H\cdot W + h\cdot W + w = {view.c}\cdot {h_}\cdot {w_} + {view.h}\cdot {w_} + {view.w}"
             rf" = {view.index}")
    st.markdown(t("cls.flatten_check", c=view.c, h=view.h, w=view.w, i=view.index, a=view.value_map,
                  b=view.value_vector, verdict=t("cls.same" if view.matches else "cls.different")))
    st.plotly_chart(flatten_figure(fl.input[0, view.c].numpy(), view.h, view.w, fl.output[0].numpy(), view.index,
                                   map_title=t("cls.flatten_map", c=view.c, name=fl.source, h_=h_, w_=w_),
                                   vector_title=t("cls.flatten_vector", n=fl.output.shape[1])), width="stretch")


def _logit_sum(label: str, latex: str, check: str) -> tuple[DeltaGenerator, DeltaGenerator]:
    """Class k's logit as one sum, the check against the traced and functional logit; two columns below it."""
    st.subheader(t("cls.fc_sum_title", label=label))
    st.latex(latex)
    st.markdown(check)
    left, right = st.columns(2)
    return left, right


def _conv_head_view(tr: Trace, head: cls.ConvHead, k: int, names: list[str]) -> None:
    """SqueezeNet: a 1x1 conv and a global average pool replace the fully connected layer."""
    n_classes = int(tr.logits.shape[1])
    w_shape = list(head.conv.params["weight"].shape)
    st.info(t("cls.conv_head", conv=head.conv.key, pool=head.pool.key, relu=head.relu.key if head.relu else "–",
              w_shape=w_shape, k=n_classes, c=w_shape[1]))
    hb = cls.conv_head_breakdown(tr, k, top=12)
    bd = hb.breakdown
    left, right = _logit_sum(
        names[k],
        rf"z_{{{k}}} = \tfrac{{1}}{{HW}}\sum_{{h,w}}\max\!\big(0,\ \sum_c W_{{{k},c}}\,x_{{c,h,w}} + b_{{{k}}}\big)"
        rf" = \sum_c W_{{{k},c}}\,\bar x_c + b_{{{k}}}\tfrac{{|A|}}{{HW}}"
        rf" = {bd.dot:.4f} {bd.bias:+.4f} = {bd.total:.4f}",
        t("cls.conv_head_check", total=bd.total, traced=bd.traced, functional=bd.functional, active=hb.active,
          verdict=t("cls.match" if bd.matches else "cls.mismatch")))
    with left:
        st.plotly_chart(heatmap(hb.class_map, signed=True, colorbar_title="s",
                                title=t("cls.class_map", label=names[k], shape=list(hb.class_map.shape))),
                        width="stretch")
        st.caption(t("cls.class_map_caption"))
    with right:
        _terms_chart(bd, "channel")


def _class_maps(bd: cls.LogitBreakdown, label: str) -> None:
    """Class k's weights, the features or their products as [C, H, W] maps (the channels that vote most when there
    are many)."""
    assert bd.shape is not None
    what = st.radio(t("cls.fc_show"), ["weights", "features", "terms"], horizontal=True, key="cls_show",
                    format_func=lambda s: t(f"cls.fc_show.{s}"))
    mode = st.radio(t("common.color_range"), RANGE_MODES, horizontal=True, key="cls_range",
                    format_func=lambda m: t(f"common.range.{m}"))
    shown = cls.voting_channels(bd)
    if len(shown) < bd.shape[0]:  # AlexNet/VGG: the channels that vote most
        st.caption(t("cls.fc_maps_top", n=len(shown), c=bd.shape[0]))
    sel = bd.maps(what)[shown]
    show_maps(tiled_maps(sel, prefix="c", channels=shown, range_mode=mode, fixed=shared_abs_max([sel]), cols=8,
                         target_width=640, signed=what != "features" or bool((sel < 0).any()),
                         title=t("cls.fc_maps_title", what=t(f"cls.fc_show.{what}"), label=label,
                                 shape=list(bd.shape))))
    st.caption(t("cls.fc_maps_caption"))


def _linear_view(tr: Trace, linear: LayerRecord, k: int, names: list[str]) -> None:
    """z_k = Σᵢ W[k, i]·xᵢ + b_k term by term, the class's weights as maps, the channels' votes."""
    st.caption(t("cls.fc_shapes", name=linear.key, w_shape=list(linear.params["weight"].shape),
                 b_shape=list(linear.params["bias"].shape) if "bias" in linear.params else "–",
                 x_shape=list(linear.input.shape) if linear.input is not None else "?",
                 z_shape=list(linear.output.shape)))
    bd = cls.logit_breakdown(tr, k, top=12)
    left, right = _logit_sum(
        names[k],
        rf"z_{{{k}}} = \sum_i W_{{{k},i}}\,x_i + b_{{{k}}} = "
        rf"\underbrace{{{bd.positive:.4f}}}_{{\text{{terms}}>0}}"
        rf"\;\underbrace{{{bd.negative:+.4f}}}_{{\text{{terms}}<0}}\;\underbrace{{{bd.bias:+.4f}}}_{{b_{{{k}}}}}"
        rf" = {bd.total:.4f}",
        t("cls.fc_check", total=bd.total, traced=bd.traced, functional=bd.functional,
          verdict=t("cls.match" if bd.matches else "cls.mismatch")))
    with left:
        if bd.shape is None:
            st.info(t("cls.fc_no_maps"))
        else:
            _class_maps(bd, names[k])
    with right:
        _terms_chart(bd, "flat")
    if bd.channel_sums is not None:
        st.plotly_chart(channel_votes_figure(bd.channel_sums, title=t("cls.channel_sums"),
                                             x_label=t("cls.flatten_c")), width="stretch")


def fc_section(tr: Trace, head: LayerRecord | cls.ConvHead, names: list[str]) -> None:
    """2 · fully connected: one class's logit as a dot product (or the conv head's channel sum)."""
    st.header(t("cls.fc"))
    n_classes = int(tr.logits.shape[1])
    k = st.selectbox(t("cls.fc_class"), list(range(n_classes)), index=tr.prediction, format_func=names.__getitem__,
                     key="cls_k", help=t("cls.fc_class_help", n=n_classes) if n_classes > MANY_CLASSES else None)
    if isinstance(head, cls.ConvHead):
        _conv_head_view(tr, head, k, names)
    else:
        _linear_view(tr, head, k, names)


def softmax_section(tr: Trace, names: list[str]) -> None:
    """3 · softmax with a temperature, checked against the model's own probabilities."""
    st.header(t("cls.softmax"))
    st.markdown(t("cls.softmax_intro"))
    temp = st.select_slider(t("cls.temperature"), TEMPERATURES, value=1.0, key="cls_temp")
    sv = cls.softmax_view(tr, temp)
    n_classes = int(tr.logits.shape[1])
    many = n_classes > MANY_CLASSES
    shown_classes = cls.top_classes(sv.probs_model, TOP_N) if many else list(range(n_classes))
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(probs_figure([names[i] for i in shown_classes], sv.probs_model[shown_classes],
                                     sv.probs[shown_classes], model_label=t("cls.p_model"),
                                     temp_label=t("cls.p_temp", T=temp)), width="stretch")
        if many:
            rest, rest_t = sv.rest(shown_classes)
            st.caption(t("cls.softmax_top", n=len(shown_classes), k=n_classes, rest=rest, rest_t=rest_t, T=temp))
        st.caption(t("cls.softmax_check", diff=sv.model_diff))
    with right:
        st.dataframe([{t("cls.col.class"): names[i], t("cls.col.logit"): round(float(sv.logits[i]), 4),
                       t("cls.col.scaled"): round(float(sv.scaled[i]), 4), t("cls.col.p"): f"{sv.probs[i]:.2%}"}
                      for i in shown_classes], hide_index=True, width="stretch")


def loss_section(ctx: PageContext, tr: Trace, names: list[str]) -> None:
    """4 · loss: cross-entropy and MSE for a true class, their gradients, and one weight row's gradient."""
    image = ctx.require_image()
    st.header(t("cls.loss"))
    st.markdown(t("cls.loss_intro"))
    n_classes = int(tr.logits.shape[1])
    many = n_classes > MANY_CLASSES
    default_label = None if ctx.is_imagenet else committed_class(image.name, n_classes)
    y = st.selectbox(t("cls.label"), list(range(n_classes)), index=tr.prediction if default_label is None else
                     default_label, format_func=names.__getitem__, key=f"cls_y_{image.digest[:12]}",
                     help=t("cls.label_help_imagenet" if ctx.is_imagenet else "cls.label_help"))
    tr_ce = ctx.trace(loss="cross_entropy", label=y)
    lv = cls.loss_view_traced(tr_ce)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("cls.ce"), f"{lv.cross_entropy:.4g}")
    m2.metric(t("cls.mse"), f"{lv.mse:.4g}")
    m3.metric(t("cls.traced_loss"), f"{lv.traced_loss:.4g}")
    grad_classes = cls.top_classes(lv.probs, TOP_N, include=y) if many else list(range(n_classes))
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(grads_figure([names[i] for i in grad_classes],
                                     [(t("cls.grad_traced"), lv.traced_grad[grad_classes]),
                                      (t("cls.grad_ce"), lv.grad_ce[grad_classes]),
                                      (t("cls.grad_mse"), lv.grad_mse[grad_classes])], title=t("cls.grad_title")),
                        width="stretch")
        if many:
            st.caption(t("cls.grad_top", n=len(grad_classes), k=n_classes))
        st.caption(t("cls.grad_check", diff=lv.traced_diff))
        st.caption(t("cls.grad_caption", k=n_classes))
    with right:
        st.plotly_chart(loss_curves_figure(float(lv.probs[y]), ce_label=t("cls.ce"), mse_label=t("cls.mse"),
                                           x_label=t("cls.loss_curve_x"), k=n_classes), width="stretch")
        st.caption(t("cls.loss_curve_caption"))
    rg = cls.weight_row_grad(tr_ce, y)
    st.markdown(t("cls.row_grad", label=names[y], y=y, dz=rg.dz, norm=rg.norm, d=rg.row.size))
    if rg.traced is None:
        st.caption(t("cls.row_grad_not_stored"))
    else:
        st.caption(t("cls.row_grad_check", diff=rg.max_diff))
    with st.expander(t("common.why")):
        st.markdown(t("cls.loss_why"))


def main(ctx: PageContext) -> None:
    st.title(t("cls.title"))
    st.markdown(t("cls.intro"))
    ctx.require_image()
    tr = ctx.trace()
    try:
        head = cls.classifier_head(tr)
    except cls.NotApplicable:
        st.info(t("common.not_applicable", why=t("cls.no_linear")))
        return
    names = list(class_names())  # built now, in this run's language
    lazy_tabs("cls_tab", [
        (t("cls.tab.flatten"), lambda: flatten_section(tr)),
        (t("cls.tab.fc"), lambda: fc_section(tr, head, names)),
        (t("cls.tab.softmax"), lambda: softmax_section(tr, names)),
        (t("cls.tab.loss"), lambda: loss_section(ctx, tr, names)),
    ])


main(page_context())
