"""Convolution: feature maps and kernels, kernel arithmetic, padding & stride, playground, 1-D lab, depth."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explain import convolution as conv
from explain import kernels as kern
from explain.imaging import PreparedImage
from explain.trace import LayerRecord, Trace
from ui.figures import convolution as figs
from ui.i18n import t
from ui.sidebar import PageContext, page_context

RANGE_MODES = ("map", "layer", "global")


def padding_explorer() -> None:
    """Kernel size, padding and stride on a small grid, with the output-size formula and a step-through."""
    st.subheader(t("conv.pad.title"))
    st.markdown(t("conv.pad.intro"))
    c1, c2, c3, c4 = st.columns(4)
    n = c1.slider(t("conv.pad.n"), 3, 9, 7, key="conv_pad_n")
    k = c2.slider(t("conv.pad.k"), 1, 5, 3, key="conv_pad_k")
    p = c3.slider(t("conv.pad.p"), 0, 2, 1, key="conv_pad_p")
    s = c4.slider(t("conv.pad.s"), 1, 3, 1, key="conv_pad_s")
    try:
        sw = conv.sliding_window(n, k, p, s)
    except conv.ConvError:
        st.warning(t("conv.pad.too_small", k=k, m=n + 2 * p))
        return
    st.markdown(t("conv.pad.formula", n=n, p=p, k=k, s=s, num=sw.numerator, q=sw.numerator // s, out=sw.out))
    if sw.unused:
        st.caption(t("conv.pad.unused", r=sw.unused))
    total = len(sw.positions)
    step = 1
    if total > 1:
        step = st.slider(t("conv.pad.step"), 1, total, 1, key=f"conv_pad_step_{n}_{k}_{p}_{s}")
    fig = figs.sliding_window_figure(sw, step - 1, titles=(t("conv.pad.grid", m=sw.padded),
                                                            t("conv.pad.out", out=sw.out)))
    st.plotly_chart(fig, width="stretch")
    (r0, c0), (oi, oj) = sw.positions[step - 1], divmod(step - 1, sw.out)
    st.caption(t("conv.pad.where", i=step, total=total, r0=r0, r1=r0 + k - 1, c0=c0, c1=c0 + k - 1,
                 value=float(sw.outputs[oi, oj]), oi=oi, oj=oj))
    st.caption(t("conv.pad.model"))


def feature_maps_tab(tr: Trace, rec: LayerRecord, image: PreparedImage) -> None:
    act = conv.activation_after(tr, rec)
    views = ["pre"] + (["post"] if act is not None else [])
    c1, c2, c3 = st.columns([2, 2, 1])
    view = c1.radio(t("conv.maps.view"), views, horizontal=True, key="conv_view",
                    format_func=lambda v: t("conv.maps.view.pre") if v == "pre"
                    else t("conv.maps.view.post", kind=act.kind if act else ""))
    mode = c2.radio(t("common.color_range"), RANGE_MODES, index=1, horizontal=True, key="conv_range",
                    format_func=lambda m: t(f"common.range.{m}"))
    fixed = 1.0
    if mode == "global":
        fixed = c3.number_input(t("conv.maps.fixed"), min_value=0.01, max_value=100.0, value=2.0, step=0.5,
                                key="conv_fixed")
    shown = rec if view == "pre" or act is None else act
    left, right = st.columns([1, 4])
    with left:
        st.image(image.pixels, width=168, caption=t("conv.maps.input"), clamp=True)
        if rec.input is not None:
            st.caption(t("conv.maps.layer_input", shape=list(rec.input.shape)))
    with right:
        st.plotly_chart(figs.feature_maps(shown.output[0], figs.shape_title(shown.key, shown.output.shape),
                                          range_mode=mode, fixed=fixed), width="stretch")
    st.caption(t("conv.maps.caption"))
    w = rec.params["weight"]
    o, cin, kh, kw = w.shape
    st.plotly_chart(figs.kernel_weights(w, t("conv.kernels.title", layer=rec.key, shape=list(w.shape)),
                                        out_label=t("conv.kernels.out"), in_label=t("conv.kernels.in")),
                    width="stretch")
    st.caption(t("conv.kernels.caption" if cin > 1 else "conv.kernels.caption_single", kh=kh, kw=kw, cin=cin))


def arithmetic_tab(tr: Trace, rec: LayerRecord) -> None:
    st.markdown(t("conv.arith.intro"))
    _, out_c, h, w = rec.output.shape
    c1, c2, c3 = st.columns(3)
    ch = int(c1.number_input(t("conv.arith.channel"), 0, out_c - 1, 0, key=f"conv_arith_ch_{rec.key}"))
    r0, c0 = conv.strongest_position(rec, ch)  # start where this kernel responds most
    row = c2.slider(t("conv.arith.row"), 0, h - 1, r0, key=f"conv_arith_row_{rec.key}_{ch}")
    col = c3.slider(t("conv.arith.col"), 0, w - 1, c0, key=f"conv_arith_col_{rec.key}_{ch}")
    try:
        step = conv.conv_step(tr, rec.key, ch, row, col)
    except conv.ConvError as e:
        st.info(t(f"conv.error.{e.code}", **e.params))
        return
    ins = list(step.in_channels)
    best = int(np.argmax(np.abs(step.channel_sums)))
    in_pos = 0
    if len(ins) > 1:
        in_c = st.selectbox(t("conv.arith.in_channel"), ins, index=best, help=t("conv.arith.in_help"),
                            key=f"conv_arith_in_{rec.key}_{ch}_{row}_{col}")
        in_pos = ins.index(in_c)
    in_c = ins[in_pos]
    kh = step.kernel.shape[1]
    assert rec.input is not None
    st.plotly_chart(figs.feature_map_marker(
        rec.output[0, ch], row, col, kh, step.origin, input_map=rec.input[0, in_c],
        titles=(t("conv.arith.input_title", c=in_c, r=step.origin[0], col=step.origin[1]),
                t("conv.arith.output_title", layer=rec.key, ch=ch))), width="stretch")
    st.plotly_chart(figs.arithmetic(step, in_pos, pad_text=t("conv.arith.pad"), titles=(
        t("conv.arith.patch", c=in_c), t("conv.arith.kernel", o=ch, c=in_c), t("conv.arith.products"))),
        width="stretch")
    if step.is_pad.any():
        st.caption(t("conv.arith.pad_note"))
    if len(ins) > 1:
        st.plotly_chart(figs.channel_sums(step, title=t("conv.arith.sums_title"), x_label=t("conv.arith.sums_x")),
                        width="stretch")
    st.markdown(t("conv.arith.sum_line", n=step.products.size, total=step.total))
    st.markdown(t("conv.arith.bias_line", total=step.total, bias=step.bias, pre=step.pre_activation))
    if step.activation is not None and step.post_activation is not None:
        st.markdown(t("conv.arith.act_line", kind=step.activation, post=step.post_activation))
    else:
        st.caption(t("conv.arith.no_act"))
    if step.matches:
        post = "" if step.recorded_post is None else t("conv.arith.match_post", value=step.recorded_post)
        st.success(t("conv.arith.match", recorded=step.recorded, post_part=post, err=step.error))
    else:
        st.warning(t("conv.arith.mismatch", pre=step.pre_activation, recorded=step.recorded, err=step.error))
    with st.expander(t("common.why")):
        st.markdown(t("conv.arith.why"))


def playground_tab(image: PreparedImage) -> None:
    st.markdown(t("conv.play.intro"))
    names = [*kern.KERNELS, "custom"]
    name = st.selectbox(t("conv.play.kernel"), names, format_func=lambda n: t(f"conv.play.k.{n}"),
                        key="conv_play_kernel")
    if name == "custom":
        start = kern.KERNELS["course_2d"]
        grid = np.zeros((3, 3))
        for u in range(3):
            cols = st.columns(3)
            for v in range(3):
                grid[u, v] = cols[v].number_input(t("conv.play.cell", u=u, v=v), -10.0, 10.0, float(start[u, v]),
                                                  step=0.5, key=f"conv_play_w{u}{v}")
        kernel = grid
    else:
        kernel = kern.KERNELS[name]
    st.caption(t(f"conv.play.about.{name}"))
    small = kern.filter2d(kern.pixels01(image), kernel)
    c1, c2 = st.columns([1, 2])
    with c1:
        st.plotly_chart(figs.kernel_table(kernel, title=t("conv.play.kernel_title")), width="stretch")
    with c2:
        st.plotly_chart(figs.filtered_heatmap(small.output, title=t("conv.play.small_title")), width="stretch")
        st.caption(t("conv.play.range", vmin=small.vmin, vmax=small.vmax))
    gray = kern.large_gray(image)
    big = kern.filter2d(gray, kernel)
    h, w = gray.shape
    st.markdown("**" + t("conv.play.large_title", w=w, h=h) + "**")
    g1, g2 = st.columns(2)
    width = int(min(360, max(180, w)))
    g1.image((gray * 255).astype(np.uint8), caption=t("conv.play.original"), width=width, clamp=True)
    g2.image(figs.colorize(big.output), caption=t("conv.play.range", vmin=big.vmin, vmax=big.vmax), width=width)
    st.caption(t("conv.play.scale_note"))


def oned_tab(image: PreparedImage) -> None:
    st.markdown(t("conv.oned.intro"))
    c1, c2 = st.columns(2)
    sources = ["row", *kern.SIGNALS]
    src = c1.radio(t("conv.oned.source"), sources, horizontal=True, key="conv_oned_src",
                   format_func=lambda s: t(f"conv.oned.src.{s}"))
    pixels = kern.pixels01(image)
    if src == "row":
        r = c2.slider(t("conv.oned.row"), 0, pixels.shape[0] - 1, pixels.shape[0] // 2, key="conv_oned_row")
        signal = pixels[r].astype(np.float64)
    else:
        signal = kern.synthetic_signal(src)
    text = st.text_input(t("conv.oned.kernel"), "1/3, 1/3, 1/3", max_chars=200, key="conv_oned_kernel")
    course = np.array([1.0, 0.0, -1.0])
    outputs = {t("conv.oned.course_name"): kern.filter1d(signal, course)}
    try:
        user = kern.parse_kernel(text)
    except kern.KernelError as e:
        st.error(t(f"conv.oned.error.{e.code}", **e.params))
    else:
        label = "[" + ", ".join(f"{v:.3g}" for v in user) + "]"
        outputs[t("conv.oned.user_name", k=label)] = kern.filter1d(signal, user)
    found = kern.edges(outputs[t("conv.oned.course_name")])
    st.plotly_chart(figs.signal_figure(signal, outputs, edges=found,
                                       titles=(t("conv.oned.signal_title"), t("conv.oned.output_title"))),
                    width="stretch")
    if found:
        st.caption(t("conv.oned.edges", where=", ".join(str(i) for i in found[:12])
                     + (" …" if len(found) > 12 else "")))
    else:
        st.caption(t("conv.oned.no_edges"))


def deeper_tab(tr: Trace, image: PreparedImage) -> None:
    st.markdown(t("conv.deep.intro"))
    fields = conv.receptive_fields(tr)
    rows = []
    for f in fields:
        rows.append({
            t("conv.deep.col.layer"): f.key, t("conv.deep.col.kind"): f.kind,
            t("conv.deep.col.channels"): f.channels if f.channels is not None else "",
            t("conv.deep.col.size"): f"{f.height}×{f.width}" if f.height is not None else "—",
            t("conv.deep.col.k"): f.kernel, t("conv.deep.col.s"): f.stride, t("conv.deep.col.j"): f.jump,
            t("conv.deep.col.rf"): (f"{f.receptive_field}×{f.receptive_field}" if f.receptive_field
                                    else t("conv.deep.whole")),
        })
    c1, c2 = st.columns([3, 2])
    c1.dataframe(rows, hide_index=True, width="stretch")
    c1.caption(t("conv.deep.formula"))
    c2.plotly_chart(figs.receptive_field_figure(fields, image.pixels, title=t("conv.deep.figure")), width="stretch")
    with st.expander(t("common.why")):
        st.markdown(t("conv.deep.why"))


def main(ctx: PageContext) -> None:
    """The page body; the sidebar (``page_context``) is drawn first, below."""
    st.title(t("conv.title"))
    st.markdown(t("conv.intro"))
    with st.expander(t("conv.xcorr.title")):
        st.markdown(t("conv.xcorr.body"))
    top = st.container()
    if ctx.image is None:  # the explorer needs no image: show it under the prompt
        padding_explorer()
        with top:
            ctx.require_image()
    image = ctx.require_image()
    tr = ctx.trace()
    layers = conv.conv_layers(tr)
    rec: LayerRecord | None = None
    if layers:
        keys = [r.key for r in layers]
        key = st.selectbox(t("common.layer"), keys, key="conv_layer", help=t("conv.layer_help"))
        rec = tr[key if key in keys else keys[0]]
    tabs = st.tabs([t("conv.tab.maps"), t("conv.tab.arith"), t("conv.tab.pad"), t("conv.tab.play"),
                    t("conv.tab.oned"), t("conv.tab.deep")])
    not_conv = t("common.not_applicable", why=t("conv.no_conv"))
    with tabs[0]:
        if rec is None:
            st.info(not_conv)
        else:
            feature_maps_tab(tr, rec, image)
    with tabs[1]:
        if rec is None:
            st.info(not_conv)
        else:
            arithmetic_tab(tr, rec)
    with tabs[2]:
        padding_explorer()
    with tabs[3]:
        playground_tab(image)
    with tabs[4]:
        oned_tab(image)
    with tabs[5]:
        deeper_tab(tr, image)


ctx = page_context()
main(ctx)
