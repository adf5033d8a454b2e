"""Pooling: input and output maps, a numeric 4x4 view, the backward routing, and small-shift invariance."""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from explain import pooling as pool
from explain.trace import LayerRecord, Trace
from ui.figures import pooling as figs
from ui.i18n import class_name, t
from ui.sidebar import PageContext, page_context

RANGE_MODES = ("map", "layer", "global")
DIRECTIONS: dict[str, tuple[int, int]] = {"right": (0, 1), "down": (1, 0), "diag": (1, 1)}


@st.cache_data(max_entries=64, show_spinner=False)
def shift_study(model_name: str, digest: str, key: str, direction: tuple[int, int], max_shift: int,
                _model: nn.Module, _x: torch.Tensor) -> pool.ShiftStudy:
    """One batched forward of the shifted copies, cached per (model, image, layer, direction, max shift)."""
    return pool.shift_study(_model, _x, key, direction, tuple(range(max_shift + 1)))


def maps_section(rec: LayerRecord, k: int, s: int) -> None:
    st.subheader(t("pool.maps.title"))
    assert rec.input is not None
    _, c, h_in, w_in = rec.input.shape
    _, _, h_out, w_out = rec.output.shape
    st.markdown(t("pool.maps.sizes", layer=rec.key, kind=rec.kind, k=k, s=s, c=c, h_in=h_in, w_in=w_in, h_out=h_out,
                  w_out=w_out, n_in=rec.input.numel(), n_out=rec.output.numel(),
                  ratio=rec.input.numel() / rec.output.numel()))
    c1, c2 = st.columns([3, 1])
    mode = c1.radio(t("common.color_range"), RANGE_MODES, index=1, horizontal=True, key="pool_range",
                    format_func=lambda m: t("pool.maps.range_layer") if m == "layer" else t(f"common.range.{m}"))
    x, y = rec.input[0], rec.output[0]
    signed = bool((x < 0).any())
    # "layer": one range for input AND output (the input's), so equal values look equal on both sides
    fixed = float(x.abs().max()) or 1.0
    if mode == "global":
        fixed = c2.number_input(t("pool.maps.fixed"), min_value=0.01, max_value=100.0, value=2.0, step=0.5,
                                key="pool_fixed")
    range_mode = "map" if mode == "map" else "global"
    left, right = st.columns([2, 1])
    left.plotly_chart(figs.pool_maps(x, t("pool.maps.in_title", shape=list(rec.input.shape)),
                                     range_mode=range_mode, fixed=fixed, signed=signed), width="stretch")
    right.plotly_chart(figs.pool_maps(y, t("pool.maps.out_title", shape=list(rec.output.shape)),
                                      range_mode=range_mode, fixed=fixed, signed=signed),
                       width="stretch")
    st.caption(t("pool.maps.caption"))


def numeric_section(rec: LayerRecord, k: int, s: int) -> int:
    """The 4x4 numeric view; returns the chosen channel (reused by the backward view)."""
    st.subheader(t("pool.num.title"))
    st.markdown(t("pool.num.intro"))
    assert rec.input is not None
    order = pool.channels_by_activity(rec)
    h, w = rec.input.shape[-2:]
    c1, c2, c3, c4, c5 = st.columns(5)
    ch = c1.selectbox(t("pool.num.channel"), order, key=f"pool_ch_{rec.key}", help=t("pool.num.channel_help"))
    fmap = rec.input[0, ch].numpy()
    top0, left0 = pool.window_at_max(fmap, 4, s)
    top = c2.slider(t("pool.num.top"), 0, max(0, h - 4), top0, key=f"pool_top_{rec.key}_{ch}")
    left = c3.slider(t("pool.num.left"), 0, max(0, w - 4), left0, key=f"pool_left_{rec.key}_{ch}")
    kk = c4.slider(t("pool.num.k"), 1, 4, min(k, 4), key="pool_k")
    ss = c5.slider(t("pool.num.s"), 1, 4, min(s, 4), key="pool_s")
    try:
        table = pool.numeric_view(fmap, top, left, kk, ss)
    except pool.PoolError:
        st.warning(t("pool.num.too_small", k=kk))
        return ch
    r0, c0 = table.origin
    size = table.window.shape[0]
    st.plotly_chart(figs.numeric_view(table, titles=(
        t("pool.num.window_title", c=ch, r0=r0, r1=r0 + size - 1, c0=c0, c1=c0 + size - 1),
        t("pool.num.max_title", k=kk, s=ss), t("pool.num.avg_title"))), width="stretch")
    first = table.window[:kk, :kk]
    st.markdown(t("pool.num.first", mx=float(table.max_out[0, 0]), avg=float(table.avg_out[0, 0]), kk=kk * kk,
                  terms=" + ".join(f"{v:.3g}" for v in first.ravel())))
    diff = pool.recorded_difference(rec, table, ch)
    if diff is not None:
        st.success(t("pool.num.matches", kind=t(f"pool.num.kind.{pool.pool_kind(rec)}"), err=diff))
    else:
        st.caption(t("pool.num.other_setup", k=k, s=s))
    return ch


def backward_section(tr: Trace, rec: LayerRecord, k: int, ch: int) -> None:
    st.subheader(t("pool.back.title"))
    st.markdown(t("pool.back.intro", share=1 / (k * k)))
    try:
        pb = pool.pool_backward(tr, rec.key, ch)
    except pool.PoolError:
        st.info(t("common.not_applicable", why=t("pool.back.no_grad")))
        return
    other = "avg" if pb.kind == "max" else "max"
    assert rec.input is not None
    gh, gw = pb.grad_out.shape
    st.plotly_chart(figs.backward_maps(pb, rec.input[0, ch], titles=(
        t("pool.back.in_title", c=ch), t("pool.back.gy_title", h=gh, w=gw),
        t("pool.back.gx_title", kind=t(f"pool.back.kind.{pb.kind}")),
        t("pool.back.other_title", kind=t(f"pool.back.kind.{other}")))), width="stretch")
    st.markdown(t("pool.back.check", fn="max_pool2d" if pb.kind == "max" else "avg_pool2d", err=pb.max_abs_diff,
                  frac=pb.nonzero_frac))
    if pb.kind == "max":
        st.caption(t("pool.back.ties"))


def shift_section(ctx: PageContext, tr: Trace, rec: LayerRecord) -> None:
    st.subheader(t("pool.shift.title"))
    st.markdown(t("pool.shift.intro"))
    c1, c2 = st.columns(2)
    direction = c1.radio(t("pool.shift.direction"), list(DIRECTIONS), horizontal=True, key="pool_dir",
                         format_func=lambda d: t(f"pool.shift.dir.{d}"))
    max_shift = c2.slider(t("pool.shift.max"), 1, 3, 3, key="pool_max_shift")
    assert ctx.image is not None
    study = shift_study(ctx.model_name, ctx.image.digest, rec.key, DIRECTIONS[direction], max_shift, ctx.model,
                        ctx.image.tensor)
    label = class_name(study.original_class)
    st.plotly_chart(figs.shift_figure(
        study, names=(t("pool.shift.pre"), t("pool.shift.post"), t("pool.shift.prob", label=label)),
        x_title=t("pool.shift.x"), y_title=t("pool.shift.y"), y2_title=t("pool.shift.y2")), width="stretch")
    st.dataframe([{
        t("pool.shift.col.shift"): r.shift, t("pool.shift.col.pre"): f"{r.pre_change:.1%}",
        t("pool.shift.col.post"): f"{r.post_change:.1%}",
        t("pool.shift.col.pred"): f"{class_name(r.prediction)} ({r.prediction_prob:.1%})",
        t("pool.shift.col.prob"): f"{r.prob_of_original:.1%}",
    } for r in study.rows], hide_index=True, width="stretch")
    one = next((r for r in study.rows if r.shift == 1), None)
    if one is not None:
        st.caption(t("pool.shift.summary", pre=one.pre_change, post=one.post_change))
    with st.expander(t("common.why")):
        st.markdown(t("pool.shift.why"))


def main(ctx: PageContext) -> None:
    """The page body; the sidebar (``page_context``) is drawn first, below."""
    st.title(t("pool.title"))
    st.markdown(t("pool.intro"))
    ctx.require_image()
    tr = ctx.trace()
    layers = pool.pool_layers(tr)
    if not layers:
        st.info(t("common.not_applicable", why=t("pool.no_pool")))
        return
    keys = [r.key for r in layers]
    key = st.selectbox(t("common.layer"), keys, key="pool_layer", help=t("pool.layer_help"))
    rec = tr[key if key in keys else keys[0]]
    try:
        k, s = pool.pool_params(rec)
    except pool.PoolError:
        st.info(t("common.not_applicable", why=t("pool.unsupported")))
        return
    maps_section(rec, k, s)
    ch = numeric_section(rec, k, s)
    backward_section(tr, rec, k, ch)
    shift_section(ctx, tr, rec)


ctx = page_context()
main(ctx)
