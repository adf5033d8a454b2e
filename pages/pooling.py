"""Pooling: input and output maps, a numeric 4x4 view, the backward routing, and small-shift invariance."""

from __future__ import annotations

import streamlit as st

from explain import pooling as pool
from explain.channels import ChannelPage
from explain.trace import LayerRecord, Trace
from ui import state
from ui.figures import pooling as figs
from ui.i18n import class_name, t
from ui.mapview import show_maps
from ui.paging import channel_pager
from ui.sections import layer_select, lazy_tabs
from ui.sidebar import PageContext, page_context

RANGE_MODES = ("map", "layer", "global")
DIRECTIONS: dict[str, tuple[int, int]] = {"right": (0, 1), "down": (1, 0), "diag": (1, 1)}
ADAPTIVE_ROWS = 8  # bins listed for an adaptive pooling


def sizes_text(rec: LayerRecord, spec: pool.PoolSpec) -> str:
    """The layer's sizes and the output-size rule with its numbers (any set-up)."""
    assert rec.input is not None
    _, c, h_in, w_in = rec.input.shape
    _, _, h_out, w_out = rec.output.shape
    common = {"layer": rec.key, "kind": rec.kind, "c": c, "h_in": h_in, "w_in": w_in, "h_out": h_out, "w_out": w_out,
              "n_in": rec.input.numel(), "n_out": rec.output.numel(), "ratio": rec.input.numel() / rec.output.numel()}
    if spec.simple:
        return t("pool.maps.sizes", k=spec.k[0], s=spec.s[0], **common)
    if spec.adaptive:
        return t("pool.maps.sizes_adaptive", rule=pool.size_formula(int(h_in), int(h_out), spec), **common)
    text = t("pool.maps.sizes_general", k=spec.k[0], s=spec.s[0], p=spec.p[0], d=spec.d[0],
             rule=pool.size_formula(int(h_in), int(h_out), spec), **common)
    if spec.ceil_mode:
        floor = spec.floor_size(int(h_in))
        text += " " + t("pool.maps.ceil", floor=floor, ceil=int(h_out),
                        same=t("pool.maps.ceil_same") if floor == int(h_out) else "")
    return text


def maps_section(rec: LayerRecord, spec: pool.PoolSpec, page: ChannelPage) -> None:
    """Input and output maps of the pager's channels (all of a small layer)."""
    st.subheader(t("pool.maps.title"))
    assert rec.input is not None
    chans = list(page.channels)
    c1, c2 = st.columns([3, 1])
    mode = c1.radio(t("common.color_range"), RANGE_MODES, index=1, horizontal=True, key="pool_range",
                    format_func=lambda m: t("pool.maps.range_layer") if m == "layer" else t(f"common.range.{m}"))
    x, y = rec.input[0, chans], rec.output[0, chans]
    signed = bool((x < 0).any())
    # "layer": one range for input AND output (the input's), so equal values look equal on both sides
    fixed = float(x.abs().max()) or 1.0
    if mode == "global":
        fixed = c2.number_input(t("pool.maps.fixed"), min_value=0.01, max_value=100.0, value=2.0, step=0.5,
                                key="pool_fixed")
    range_mode = "map" if mode == "map" else "global"
    left, right = st.columns([2, 1])
    show_maps(figs.pool_maps(x, t("pool.maps.in_title", shape=list(rec.input.shape)),
                             range_mode=range_mode, fixed=fixed, signed=signed, channels=chans), where=left)
    show_maps(figs.pool_maps(y, t("pool.maps.out_title", shape=list(rec.output.shape)),
                             range_mode=range_mode, fixed=fixed, signed=signed, channels=chans, target_width=420),
              where=right)
    st.caption(t("pool.maps.caption_global" if rec.output.shape[-2:] == (1, 1) else "pool.maps.caption"))


def choose_channel(rec: LayerRecord, page: ChannelPage) -> int:
    """The channel that the window, numeric and backward tabs follow (one of the pager's channels)."""
    chans = list(page.channels)
    key = f"pool_win_ch_{rec.key}"
    state.forget_invalid(key, chans)
    return int(st.selectbox(t("pool.num.channel"), chans, key=key, help=t("pool.win.channel_help")))


def window_section(rec: LayerRecord, spec: pool.PoolSpec, ch: int) -> None:
    """The real window behind one output cell of one channel, recomputed."""
    st.subheader(t("pool.win.title"))
    st.markdown(t("pool.win.intro"))
    assert rec.input is not None
    oh, ow = (int(v) for v in rec.output.shape[-2:])
    c2, c3 = st.columns(2)
    i0, j0 = pool.strongest_cell(rec, ch)
    i = c2.number_input(t("pool.win.row"), 0, oh - 1, i0, key=f"pool_win_i_{rec.key}_{ch}")
    j = c3.number_input(t("pool.win.col"), 0, ow - 1, j0, key=f"pool_win_j_{rec.key}_{ch}")
    cell = pool.window_cell(rec, ch, int(i), int(j))
    st.plotly_chart(figs.window_figure(cell, title=t("pool.win.fig", c=ch, i=cell.cell[0], j=cell.cell[1],
                                                     r0=cell.rows[0], r1=cell.rows[1], c0=cell.cols[0],
                                                     c1=cell.cols[1])), width="stretch")
    n_cells = int(cell.values.size)
    if spec.kind == "max":
        assert cell.argmax is not None
        st.markdown(t("pool.win.max", n=n_cells, value=cell.value, r=cell.argmax[0], c=cell.argmax[1],
                      recorded=cell.recorded, err=abs(cell.value - cell.recorded)))
    else:
        st.markdown(t("pool.win.avg", n=n_cells, total=float(cell.values.sum()), div=cell.divisor, value=cell.value,
                      recorded=cell.recorded, err=abs(cell.value - cell.recorded)))
    if cell.padded:
        st.caption(t("pool.win.padded", n=cell.padded))
    if spec.adaptive:
        bins = pool.adaptive_rows(int(rec.input.shape[-2]), oh, ADAPTIVE_ROWS)
        st.caption(t("pool.win.adaptive_rows", n=bins.n, o=bins.o, rows="; ".join(
            f"{r}: {a}…{b - 1}" for r, (a, b) in enumerate(bins.bins)) + (" …" if bins.more else "")))
        if bins.identity:
            st.info(t("pool.win.identity", layer=rec.key, n=bins.n))
    if spec.kind == "max":
        picks = pool.picks(rec, ch)
        show_maps(figs.pick_figure(picks.counts, title=t("pool.win.picks_fig", c=ch)))
        st.caption(t("pool.win.picks", picked=picks.picked, most=picks.most))
    else:
        st.caption(t("common.not_for_layer", layer=rec.key, why=t("pool.win.no_argmax")))


def numeric_section(rec: LayerRecord, k: int, s: int, ch: int) -> int:
    """The 4x4 numeric view of channel ``ch`` (plain k×k windows only)."""
    st.subheader(t("pool.num.title"))
    st.markdown(t("pool.num.intro"))
    assert rec.input is not None
    h, w = rec.input.shape[-2:]
    c2, c3, c4, c5 = st.columns(4)
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


def backward_section(tr: Trace, rec: LayerRecord, spec: pool.PoolSpec, ch: int) -> None:
    st.subheader(t("pool.back.title"))
    if spec.adaptive:
        st.markdown(t("pool.back.intro_adaptive"))
    else:
        st.markdown(t("pool.back.intro", share=1 / (spec.k[0] * spec.k[1])))
    try:
        pb = pool.pool_backward(tr, rec.key, ch)
    except pool.PoolError:
        st.info(t("common.not_applicable", why=t("pool.back.no_grad")))
        return
    other = "avg" if pb.kind == "max" else "max"
    assert rec.input is not None
    gh, gw = pb.grad_out.shape
    pictures = figs.backward_maps(pb, rec.input[0, ch], titles=(
        t("pool.back.in_title", c=ch), t("pool.back.gy_title", h=gh, w=gw),
        t("pool.back.gx_title", kind=t(f"pool.back.kind.{pb.kind}")),
        t("pool.back.other_title", kind=t(f"pool.back.kind.{other}"))))
    for col, picture in zip(st.columns(4), pictures, strict=True):
        show_maps(picture, where=col)
    st.markdown(t("pool.back.check", fn=spec.functional, err=pb.max_abs_diff, frac=pb.nonzero_frac))
    if pb.kind == "max":
        st.caption(t("pool.back.ties"))
    else:
        st.caption(t("common.not_for_layer", layer=rec.key, why=t("pool.back.no_argmax")))


def shift_section(ctx: PageContext, tr: Trace, rec: LayerRecord) -> None:
    st.subheader(t("pool.shift.title"))
    st.markdown(t("pool.shift.intro"))
    c1, c2 = st.columns(2)
    direction = c1.radio(t("pool.shift.direction"), list(DIRECTIONS), horizontal=True, key="pool_dir",
                         format_func=lambda d: t(f"pool.shift.dir.{d}"))
    max_shift = c2.slider(t("pool.shift.max"), 1, 3, 3, key="pool_max_shift")
    assert ctx.image is not None
    if ctx.is_imagenet:
        st.caption(t("pool.shift.imagenet", n=max_shift + 2))
    # ImageNet input is normalized: 0 is the data set's mean colour; Fashion-MNIST: the black background
    fill = 0.0 if ctx.is_imagenet else None
    study = ctx.shared(pool.shift_study, ctx.model, ctx.image.tensor, rec.key, DIRECTIONS[direction],
                       tuple(range(max_shift + 1)), fill)
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
    kinds = {r.key: r.kind for r in layers}
    key = layer_select(t("common.layer"), keys, "pool_layer", help=t("pool.layer_help"),
                       format_func=lambda k: f"{k} · {kinds[k]}")
    rec = tr[key if key in keys else keys[0]]
    spec = pool.pool_spec(rec)
    st.markdown(sizes_text(rec, spec))
    page = channel_pager(rec.input[0], key=f"pool_page_{rec.key}", by="max")
    ch = choose_channel(rec, page)

    def numbers() -> None:
        if spec.simple:
            numeric_section(rec, spec.k[0], spec.s[0], ch)
        else:
            st.subheader(t("pool.num.title"))
            st.caption(t("common.not_for_layer", layer=rec.key, why=t("pool.num.not_simple")))

    lazy_tabs("pool_tab", [
        (t("pool.tab.maps"), lambda: maps_section(rec, spec, page)),
        (t("pool.tab.window"), lambda: window_section(rec, spec, ch)),
        (t("pool.tab.numbers"), numbers),
        (t("pool.tab.backward"), lambda: backward_section(tr, rec, spec, ch)),
        (t("pool.tab.shift"), lambda: shift_section(ctx, tr, rec)),
    ])


main(page_context())
