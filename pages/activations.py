"""Activation functions: curves and derivatives, their effect on the real pre-activations of a layer,
the trained variants side by side, and why non-linearity matters (the space-warping demo)."""

from __future__ import annotations

import numpy as np
import streamlit as st

import models
from explain import activations as act
from explain import warp
from ui import state
from ui.figures.activations import (
    compact_maps,
    curves_figure,
    histogram_figure,
    latex_matrix,
    scaled_sigmoid_figure,
    shared_abs_max,
    slopes_figure,
    val_curves_figure,
    warp_figure,
)
from ui.figures.maps import tiled_maps
from ui.i18n import class_name, t
from ui.mapview import show_maps
from ui.paging import channel_pager
from ui.sections import layer_select, lazy_tabs
from ui.sidebar import PageContext, page_context

RANGE_MODES = ["layer", "map", "global"]
BASE_PICK = ["sigmoid", "tanh", "relu", "elu", "prelu"]  # the course's functions
MODERN_PICK = ["relu", "relu6", "hardswish", "hardsigmoid", "silu", "sigmoid"]  # those of the ImageNet models
WIDE = {"relu6"}  # functions whose shape shows only beyond |x| = 6
MAX_DEAD_LISTED = 24


def fn_label(name: str) -> str:
    """The function's name in this run's language."""
    return t(f"act.fn.{name}")


def _prelu_source(ctx: PageContext) -> tuple[str, dict[str, np.ndarray]] | None:
    """The learned PReLU slopes: of the current model if it has PReLU layers, else of tinyvgg-prelu."""
    own = act.prelu_slopes(ctx.model)
    if own:
        return ctx.model_name, own
    if "tinyvgg-prelu" in {m.name for m in models.available()}:
        return "tinyvgg-prelu", act.prelu_slopes(state.get_model("tinyvgg-prelu"))
    return None


def section_curves(ctx: PageContext) -> None:
    st.header(t("act.curves"))
    prelu = _prelu_source(ctx)
    left, right = st.columns([3, 5])
    own = act.model_functions(ctx.model)
    with left:
        if ctx.is_imagenet:  # the model's own functions first, with the modern ReLU-like family
            default = [f for f in act.FUNCTIONS if f in set(MODERN_PICK) | set(own)]
            pick_key = "act_pick_imagenet"
        else:
            default, pick_key = BASE_PICK, "act_pick"
        names = st.multiselect(t("act.pick"), list(act.FUNCTIONS), default=default, format_func=fn_label,
                               key=pick_key)
        show_f = st.checkbox(t("act.show_f"), value=True, key="act_show_f")
        show_df = st.checkbox(t("act.show_df"), value=True, key="act_show_df")
        default_slope = act.DEFAULT_PRELU_SLOPE if prelu is None else act.typical_slope(prelu[1])
        slope = st.slider(t("act.prelu_slope"), -0.5, 1.0, default_slope, 0.01, key="act_slope")
    with right:
        wide = bool(WIDE & set(names))
        fig = curves_figure(act.curves(names, lo=-8.0 if wide else -5.0, hi=8.0 if wide else 5.0, slope=slope),
                            {n: fn_label(n) for n in names}, show_value=show_f, show_derivative=show_df,
                            y_range=(-1.6, 6.6) if wide else (-1.6, 3.2))
        st.plotly_chart(fig, width="stretch")
        st.caption(t("act.curves_caption"))
    if own:
        st.caption(t("act.own_functions", model=ctx.model_name, fns=", ".join(fn_label(f) for f in own)))
    with st.expander(t("common.why")):
        st.markdown(t("act.curves_why"))
        st.markdown(t("act.curves_why_modern"))
    if prelu is None:
        st.info(t("act.prelu_missing"))
    else:
        st.plotly_chart(slopes_figure(prelu[1], initial=act.DEFAULT_PRELU_SLOPE,
                                      title=t("act.prelu_learned", model=prelu[0]),
                                      initial_label=t("act.prelu_initial")), width="stretch")
        st.caption(t("act.prelu_learned_caption"))


def _source(a: act.ActivationLayer) -> str:
    return a.source_key or t("act.source_op")


def section_kinds(layers: list[act.ActivationLayer]) -> None:
    """Which activation kinds the model uses, how often, and which are in place."""
    st.subheader(t("act.kinds"))
    st.dataframe([{t("act.kinds.col.kind"): k.kind, t("act.kinds.col.formula"): t(f"act.formula.{k.function}"),
                   t("act.kinds.col.calls"): k.calls, t("act.kinds.col.inplace"): k.inplace,
                   t("act.kinds.col.first"): k.first} for k in act.kinds_present(layers)],
                 hide_index=True, width="stretch")
    if any(a.inplace for a in layers):
        st.caption(t("act.inplace_note"))


def choose_layer(layers: list[act.ActivationLayer]) -> act.ActivationLayer:
    """The activation layer that the image tabs follow (above the tabs)."""
    keys = [a.key for a in layers]
    by_key = {a.key: a for a in layers}
    key = layer_select(t("act.layer"), keys, "act_layer", format_func=lambda k: t(
        "act.layer_option", name=k, kind=by_key[k].kind, source=_source(by_key[k])))
    return by_key[key]


def section_real(ctx: PageContext, layers: list[act.ActivationLayer], layer: act.ActivationLayer) -> None:
    st.header(t("act.real"))
    if ctx.is_imagenet:
        section_kinds(layers)
    fn = st.columns(2)[0].selectbox(t("act.apply"), list(act.FUNCTIONS), index=act.FUNCTIONS.index(layer.function),
                      format_func=fn_label, key=f"act_apply_{ctx.model_name}_{layer.key}",
                      help=t("act.apply_help"))
    own = fn == layer.function
    slope = layer.slope if (own and layer.slope is not None) else st.session_state.get("act_slope", 0.25)
    res = act.apply(fn, layer.pre, slope)
    st.caption(t("act.shape_line", source=_source(layer), name=layer.key, shape=list(layer.pre.shape)))
    if layer.inplace:
        st.caption(t("act.inplace_layer", name=layer.key))
    if own:
        diff = act.recomputed_diff(layer, res)
        ok = diff <= act.MATCH_TOLERANCE
        (st.caption if ok else st.warning)(t("act.own_check" if ok else "act.own_mismatch", name=layer.key, diff=diff))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("act.frac_negative"), f"{res.frac_negative_in:.1%}")
    m2.metric(t("act.frac_zero"), f"{res.frac_zero:.1%}", help=t("act.frac_zero_help"))
    m3.metric(t("act.frac_saturated"), f"{res.frac_saturated:.1%}", help=t("act.frac_saturated_help"))
    if res.dead_channels and layer.pre.dim() == 4:
        n_ch = int(layer.pre.shape[1])
        shown = ", ".join(map(str, res.dead_channels[:MAX_DEAD_LISTED]))
        more = " …" if len(res.dead_channels) > MAX_DEAD_LISTED else ""
        st.caption(t("act.dead_count", n=len(res.dead_channels), c=n_ch, channels=shown + more))
    chans = section_maps(ctx, layer, res) if layer.pre.dim() == 4 else None
    left, right = st.columns(2)
    with left:
        log_y = st.checkbox(t("act.log_y"), value=False, key="act_log_y")
        st.plotly_chart(histogram_figure(res.hist_in, res.hist_out, before_label=t("act.before"),
                                         after_label=t("act.after", fn=fn_label(fn)), title=t("act.hist_title"),
                                         log_y=log_y), width="stretch")
        st.caption(t("act.hist_caption"))
    with right:
        st.subheader(t("act.channels"))
        if chans is not None:
            ch = res.channels
            st.dataframe([{t("act.col.channel"): i, t("act.col.mean_in"): round(float(ch.mean_in[i]), 4),
                           t("act.col.mean_out"): round(float(ch.mean_out[i]), 4),
                           t("act.col.max_out"): round(float(ch.max_out[i]), 4),
                           t("act.col.zero"): f"{ch.frac_zero[i]:.1%}",
                           t("act.col.saturated"): f"{ch.frac_saturated[i]:.1%}"} for i in chans],
                         hide_index=True, width="stretch", height=360)
        else:
            st.info(t("act.units_not_channels", n=layer.pre.shape[-1]))


def section_maps(ctx: PageContext, layer: act.ActivationLayer, res: act.ApplyResult) -> list[int]:
    """Pre- and post-activation maps of the strongest channels (a page of them for wide layers)."""
    st.subheader(t("act.maps"))
    page = channel_pager(res.post[0], key=f"act_page_{ctx.model_name}_{layer.key}", by="mean")
    chans = list(page.channels)
    left, right = st.columns(2)
    show_maps(tiled_maps(res.pre[0, chans], channels=chans, signed=True, target_width=640,
                         title=t("act.maps_pre", shape=list(layer.pre.shape))), where=left)
    show_maps(tiled_maps(res.post[0, chans], channels=chans, target_width=640,
                         title=t("act.maps_post", fn=fn_label(res.function))), where=right)
    st.caption(t("act.maps_caption"))
    return chans


def section_variants(ctx: PageContext, layer_key: str) -> None:
    if ctx.is_imagenet:  # re-running several Fashion-MNIST variants says nothing about an ImageNet model
        st.header(t("act.variants"))
        st.info(t("common.imagenet_not_applicable", why=t("act.variants_fmnist_only"),
                  title=ctx.title))
        return
    arch = ctx.info.arch if ctx.info is not None else "tinyvgg"
    infos = models.available(arch)
    if not infos:  # e.g. a session MLP while no MLP is committed: nothing to compare with
        return
    st.header(t("act.variants"))
    n_ch = 8
    st.caption(t("act.variants_intro", n=n_ch, layer=layer_key))
    views = [act.variant_view(i.name, state.trace_for(i.name, ctx.image), layer_key, i.card, n_ch) for i in infos]
    mode = st.radio(t("common.color_range"), RANGE_MODES, format_func=lambda m: t(f"common.range.{m}"),
                    horizontal=True, key="act_range")
    maps = [v.maps for v in views if v.maps is not None]
    shared = shared_abs_max(maps)
    per_row = min(3, len(views))
    cols = [c for start in range(0, len(views), per_row) for c in st.columns(per_row)][:len(views)]
    for col, v in zip(cols, views, strict=True):
        with col:
            st.markdown(f"**{v.name}**")
            st.caption(t("act.variant_pred", label=class_name(v.prediction), prob=v.confidence) + " · "
                       + t("act.variant_acc", acc=v.test_accuracy))
            if v.maps is None:
                st.caption(t("act.variant_no_map", layer=layer_key))
                continue
            st.caption(t("act.variant_shape", layer=layer_key, shape=list(v.shape or ())))
            show_maps(compact_maps(v.maps, range_mode=mode, fixed=shared, cols=4))
    if len(views) == 1:
        st.info(t("act.variants_only_one", names=views[0].name))
    curves = {v.name: v.val_curve for v in views if v.val_curve}
    if curves:
        st.plotly_chart(val_curves_figure(curves, title=t("act.val_curves"), x_label=t("act.epoch"),
                                          y_label=t("act.val_acc")), width="stretch")
    with st.expander(t("common.why")):
        st.markdown(t("act.variants_why"))


def section_warp() -> None:
    st.header(t("act.warp"))
    st.markdown(t("act.warp_intro"))
    fn_options = ["none", *act.FUNCTIONS]
    c1, c2, c3 = st.columns(3)
    data = c1.radio(t("act.warp_data"), ["rings", "xor"], format_func=lambda d: t(f"act.warp_{d}"),
                    horizontal=True, key="act_warp_data")
    fn = c2.selectbox(t("act.warp_act"), fn_options, index=fn_options.index("relu"), key="act_warp_fn",
                      format_func=lambda f: t(f"act.fn.{f}"))
    lift = c3.checkbox(t("act.warp_lift"), value=True, key="act_warp_lift")
    c1, c2, c3 = st.columns(3)
    angle = c1.slider(t("act.warp_angle"), -180, 180, 0, 5, key="act_warp_angle")
    scale = c2.slider(t("act.warp_scale"), 0.2, 3.0, 1.0, 0.1, key="act_warp_scale")
    dims = 3 if lift else 2
    shift_cols = c3.columns(dims)
    b = np.array([shift_cols[i].number_input(t("act.warp_shift", i=i + 1), -3.0, 3.0, -0.6, 0.1,
                                             key=f"act_warp_b{i}") for i in range(dims)], dtype=np.float32)
    activation = None if fn == "none" else fn
    points = warp.make_points(data)
    w = warp.layer_matrix(angle, scale, lift)
    res = warp.warp(points, w, b, activation)
    fn_label = t(f"act.fn.{fn}")
    st.plotly_chart(warp_figure(res, titles=[t("act.warp_panel_in"), t("act.warp_panel_lin"),
                                             t("act.warp_panel_out", fn=fn_label)],
                                class_labels=[t("act.warp_class", k=k) for k in (0, 1)]), width="stretch")
    st.markdown(f"**{t('act.warp_acc')}**")
    m1, m2, m3 = st.columns(3)
    m1.metric(t("act.warp_acc_in"), f"{res.acc_input:.0%}")
    m2.metric(t("act.warp_acc_lin"), f"{res.acc_linear:.0%}")
    m3.metric(t("act.warp_acc_out"), f"{res.acc_out:.0%}", delta=f"{res.acc_out - res.acc_input:+.0%}")
    st.caption(t("act.warp_caption"))
    st.caption(t("act.warp_tip"))

    st.subheader(t("act.stack"))
    st.markdown(t("act.stack_intro"))
    w2, b2 = warp.second_layer(dims)
    between = activation or "relu"
    stack = warp.stacked_linear(w, b, w2, b2, points.xy, activation=between)
    st.latex(r"W_1 = " + latex_matrix(stack.w1) + r",\quad b_1 = " + latex_matrix(stack.b1))
    st.latex(r"W_2 = " + latex_matrix(stack.w2) + r",\quad b_2 = " + latex_matrix(stack.b2))
    st.latex(r"W_2 W_1 = " + latex_matrix(stack.w) + r",\quad W_2 b_1 + b_2 = " + latex_matrix(stack.b))
    st.caption(t("act.stack_points"))
    idx = [0, len(points.xy) // 2, len(points.xy) - 1]
    st.dataframe([{t("act.stack_col_x"): str(np.round(stack.x[i], 3).tolist()),
                   t("act.stack_col_two"): str(np.round(stack.two_steps[i], 6).tolist()),
                   t("act.stack_col_one"): str(np.round(stack.one_step[i], 6).tolist())} for i in idx],
                 hide_index=True, width="stretch")
    st.caption(t("act.stack_equal", diff=stack.max_diff))
    st.caption(t("act.stack_fit", lin=stack.fit_residual_linear, act=stack.fit_residual_activated,
                 fn=t(f"act.fn.{between}")))

    st.subheader(t("act.sig2x"))
    c1, c2 = st.columns(2)
    a = c1.slider(t("act.sig2x_a"), 0.1, 5.0, 2.0, 0.1, key="act_sig_a")
    x0 = c2.slider(t("act.sig2x_x"), -4.0, 4.0, 1.0, 0.05, key="act_sig_x")
    s = warp.scaled_sigmoid(a, x0)
    st.plotly_chart(scaled_sigmoid_figure(s, linear_label=t("act.linear"), sigmoid_label=t("act.sigmoid")),
                    width="stretch")
    st.caption(t("act.sig2x_values", x=s.x0, a=s.a, lin=s.linear_at, sig=s.activated_at))
    st.caption(t("act.sig2x_caption"))


def main(ctx: PageContext) -> None:
    st.title(t("act.title"))
    st.markdown(t("act.intro"))
    curves = (t("act.tab.curves"), lambda: section_curves(ctx))
    warp_tab = (t("act.tab.warp"), section_warp)
    if ctx.image is None:
        lazy_tabs("act_tab", [curves, warp_tab])
        ctx.require_image()
        return
    layers = act.activation_layers(ctx.trace())
    if not layers:
        lazy_tabs("act_tab", [curves, warp_tab])
        st.info(t("common.not_applicable", why=t("act.no_activation")))
        return
    layer = choose_layer(layers)
    lazy_tabs("act_tab", [
        curves,
        (t("act.tab.real"), lambda: section_real(ctx, layers, layer)),
        (t("act.tab.variants"), lambda: section_variants(ctx, layer.key)),
        warp_tab,
    ])


main(page_context())
