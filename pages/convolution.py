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
from ui.mapview import show_maps
from ui.paging import channel_pager
from ui.sections import layer_select, lazy_tabs
from ui.sidebar import PageContext, page_context

RANGE_MODES = ("map", "layer", "global")
MAX_KERNEL_INPUTS = 16  # kernel slices drawn per output channel
DETAIL_INPUTS = 8  # with many input channels, only the largest partial sums are offered in detail
MANY_INPUTS = 16
TOP_ROWS = 10  # rows of the table of the largest partial sums


def _layer_option(tr: Trace, key: str) -> str:
    geo = conv.geometry(tr[key])
    stride = t("conv.layer_stride", s=geo.s[0]) if max(geo.s) > 1 else ""
    return t("conv.layer_option", key=key, kh=geo.k[0], kw=geo.k[1], kind=t(f"conv.kind.{geo.kind}"), stride=stride)


def layer_summary(tr: Trace, rec: LayerRecord) -> None:
    """Shapes, the output-size formula and the parameter count of the selected layer, with its real numbers."""
    geo = conv.geometry(rec)
    with st.expander(t("conv.geo.title"), expanded=True):
        st.markdown(t("conv.geo.shapes", layer=rec.key, cin=geo.c_in, nh=geo.n[0], nw=geo.n[1], cout=geo.c_out,
                      oh=geo.recorded_out[0], ow=geo.recorded_out[1], kh=geo.k[0], kw=geo.k[1],
                      s=_pair_text(geo.s), p=_pair_text(geo.p), d=_pair_text(geo.d), g=geo.groups))
        same = geo.square
        for axis in ((0,) if same else (0, 1)):
            side = t("conv.geo.side.both") if same else t("conv.geo.side.h" if axis == 0 else "conv.geo.side.w")
            st.markdown(t("conv.geo.formula", side=side, n=geo.n[axis], p=geo.p[axis], d=geo.d[axis],
                          k=geo.k[axis], s=geo.s[axis], num=geo.numerator(axis), out=geo.out[axis]))
        bn, _ = conv.post_activation_record(tr, rec)
        bias_part = (t("conv.geo.bias", co=geo.c_out) if geo.biases else
                     t("conv.geo.no_bias") if bn is not None else t("conv.geo.no_bias_plain"))
        st.markdown(t("conv.geo.params", co=geo.c_out, ci=geo.c_in, g=geo.groups, kh=geo.k[0], kw=geo.k[1],
                      weights=geo.weights, bias_part=bias_part, total=geo.params))
        shape = list(rec.output.shape)
        if geo.matches:
            st.caption(t("conv.geo.check", shape=shape, params=geo.recorded_params))
        else:
            st.warning(t("conv.geo.mismatch", shape=shape, params=geo.recorded_params))
        if geo.pointwise and not geo.on_vector:
            st.caption(t("conv.geo.pointwise", cin=geo.c_in, cout=geo.c_out))
        if geo.on_vector:
            st.caption(t("conv.maps.vector"))
    if geo.depthwise:
        with st.expander(t("conv.sep.title"), expanded=True):
            st.markdown(t("conv.sep.body"))
            sep = conv.separable_pair(tr, rec)
            if sep is not None and sep.pointwise is not None:
                st.markdown(t("conv.sep.numbers", dw=sep.depthwise, pw=sep.pointwise, kh=sep.k[0], kw=sep.k[1],
                              c=sep.channels, c2=sep.out_channels, dw_w=sep.depthwise_weights,
                              pw_w=sep.pointwise_weights, both=sep.depthwise_weights + sep.pointwise_weights,
                              std=sep.standard_weights, ratio=sep.ratio))


def _pair_text(v: tuple[int, int]) -> str:
    return str(v[0]) if v[0] == v[1] else f"{v[0]}×{v[1]}"


def padding_explorer(rec: LayerRecord | None = None, imagenet: bool = False) -> None:
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
    st.markdown(t("conv.pad.formula", n=n, p=p, k=k, s=s, num=sw.numerator, q=sw.quotient, out=sw.out))
    if sw.unused:
        st.caption(t("conv.pad.unused", r=sw.unused))
    total = len(sw.positions)
    step = 1
    if total > 1:
        step = st.slider(t("conv.pad.step"), 1, total, 1, key=f"conv_pad_step_{n}_{k}_{p}_{s}")
    fig = figs.sliding_window_figure(sw, step - 1, titles=(t("conv.pad.grid", m=sw.padded),
                                                            t("conv.pad.out", out=sw.out)))
    st.plotly_chart(fig, width="stretch")
    (r0, c0), (oi, oj), value = sw.step(step - 1)
    st.caption(t("conv.pad.where", i=step, total=total, r0=r0, r1=r0 + k - 1, c0=c0, c1=c0 + k - 1,
                 value=value, oi=oi, oj=oj))
    if imagenet and rec is not None:
        geo = conv.geometry(rec)
        st.caption(t("conv.pad.model_layer", layer=rec.key, k=geo.k[0], p=geo.p[0], s=geo.s[0], n=geo.n[0],
                     out=geo.out[0]))
    elif not imagenet:
        st.caption(t("conv.pad.model"))


def feature_maps_tab(tr: Trace, rec: LayerRecord, image: PreparedImage) -> None:
    bn, act = conv.post_activation_record(tr, rec)
    after = act or bn
    if bn is not None and act is not None:
        after_kind = t("conv.maps.post_kind", norm=bn.kind, act=act.kind)
    else:
        after_kind = after.kind if after is not None else ""
    views = ["pre"] + (["post"] if after is not None else [])
    c1, c2, c3 = st.columns([2, 2, 1])
    view = c1.radio(t("conv.maps.view"), views, horizontal=True, key="conv_view",
                    format_func=lambda v: t("conv.maps.view.pre") if v == "pre"
                    else t("conv.maps.view.post", kind=after_kind))
    mode = c2.radio(t("common.color_range"), RANGE_MODES, index=1, horizontal=True, key="conv_range",
                    format_func=lambda m: t(f"common.range.{m}"))
    fixed = 1.0
    if mode == "global":
        fixed = c3.number_input(t("conv.maps.fixed"), min_value=0.01, max_value=100.0, value=2.0, step=0.5,
                                key="conv_fixed")
    shown = rec if view == "pre" or after is None else after
    rgb = image.pixels.ndim == 3
    left, right = st.columns([1, 4])
    with left:
        n = image.pixels.shape[0]
        st.image(image.pixels, width=168, clamp=True,
                 caption=t("conv.maps.input_rgb", n=n) if rgb else t("conv.maps.input", n=n))
        if rec.input is not None:
            st.caption(t("conv.maps.layer_input", shape=list(rec.input.shape)))
    with right:
        maps = shown.output[0]
        page = channel_pager(maps, key=f"conv_page_{rec.key}", by="mean")
        sel = list(page.channels)
        show_maps(figs.feature_maps(maps[sel], figs.shape_title(shown.key, shown.output.shape),
                                    range_mode=mode, fixed=fixed, channels=sel))
    st.caption(t("conv.maps.caption"))
    weight = rec.params["weight"]
    o, cin, kh, kw = weight.shape
    geo = conv.geometry(rec)
    ins = conv.kernel_inputs(rec, sel, MAX_KERNEL_INPUTS)
    show_maps(figs.kernel_weights(weight[sel][:, list(ins)],
                                  t("conv.kernels.title", layer=rec.key, shape=list(weight.shape)),
                                  out_label=t("conv.kernels.out"), in_label=t("conv.kernels.in"),
                                  out_channels=sel, in_channels=ins, depthwise=geo.depthwise))
    if geo.depthwise:
        st.caption(t("conv.kernels.depthwise", g=geo.groups, kh=kh, kw=kw))
    else:
        st.caption(t("conv.kernels.caption" if cin > 1 else "conv.kernels.caption_single", kh=kh, kw=kw, cin=cin))
    if len(ins) < cin:
        st.caption(t("conv.kernels.selection", n=len(sel), m=len(ins), cin=cin, ins=", ".join(map(str, ins))))
    elif len(sel) < o:
        st.caption(t("conv.kernels.shown_out", n=len(sel)))


def arithmetic_tab(tr: Trace, rec: LayerRecord) -> None:
    st.markdown(t("conv.arith.intro"))
    _, out_c, h, w = rec.output.shape
    c1, c2, c3 = st.columns(3)
    top = conv.most_active_channel(rec)  # start with the most active channel
    ch = int(c1.number_input(t("conv.arith.channel"), 0, out_c - 1, top, key=f"conv_arith_ch_{rec.key}"))
    r0, c0 = conv.strongest_position(rec, ch)  # start where this kernel responds most
    row = c2.slider(t("conv.arith.row"), 0, h - 1, r0, key=f"conv_arith_row_{rec.key}_{ch}") if h > 1 else 0
    col = c3.slider(t("conv.arith.col"), 0, w - 1, c0, key=f"conv_arith_col_{rec.key}_{ch}") if w > 1 else 0
    try:
        step = conv.conv_step(tr, rec.key, ch, row, col)
    except conv.ConvError as e:
        st.info(t(f"conv.error.{e.code}", **e.params))
        return
    ins = list(step.in_channels)
    kh, kw = step.kernel.shape[1:]
    if step.depthwise:
        st.markdown(t("conv.arith.depthwise", o=ch, c=ins[0], kh=kh, kw=kw))
    elif step.groups > 1:
        st.markdown(t("conv.arith.group", o=ch, n=len(ins), first=ins[0], last=ins[-1], g=step.groups))
    if (kh, kw) != (1, 1) or max(step.stride) > 1:
        p = conv.padding_of(rec.config)
        st.caption(t("conv.arith.window", row=row, col=col, r=step.origin[0], c=step.origin[1],
                     s=_pair_text(step.stride), p=_pair_text(p), d=_pair_text(step.dilation)))
    ranked = step.ranked_inputs()
    many = len(ins) > MANY_INPUTS
    offered = ranked[:DETAIL_INPUTS] if many else list(range(len(ins)))
    in_pos = ranked[0]
    if len(ins) > 1:
        in_c = st.selectbox(t("conv.arith.in_channel"), [ins[i] for i in offered],
                            index=offered.index(ranked[0]), help=t("conv.arith.in_help"),
                            key=f"conv_arith_in_{rec.key}_{ch}_{row}_{col}")
        in_pos = ins.index(in_c)
    in_c = ins[in_pos]
    assert rec.input is not None
    st.plotly_chart(figs.feature_map_marker(
        rec.output[0, ch], row, col, (kh, kw), step.origin, input_map=rec.input[0, in_c], dilation=step.dilation,
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
    if many:
        st.caption(t("conv.arith.many", n=len(ins), k=DETAIL_INPUTS, share=step.top_share(DETAIL_INPUTS)))
        rows = [{t("conv.arith.col.channel"): c, t("conv.arith.col.sum"): part, t("conv.arith.col.cum"): running}
                for c, part, running in step.running_sums(TOP_ROWS)]
        st.markdown("**" + t("conv.arith.top_table") + "**")
        st.dataframe(rows, hide_index=True)
    st.markdown(t("conv.arith.sum_line", n=step.products.size, total=step.total))
    if step.has_bias:
        st.markdown(t("conv.arith.bias_line", total=step.total, bias=step.bias, pre=step.pre_activation))
    else:
        st.markdown(t("conv.arith.no_bias", pre=step.pre_activation))
    if step.normalized is not None and step.norm_stats is not None:
        mu, var, eps, gamma, beta = step.norm_stats
        st.markdown(t("conv.arith.norm_line", o=ch, gamma=gamma, pre=step.pre_activation, mu=mu, var=var, eps=eps,
                      beta=beta, y=step.normalized))
    if step.activation is not None and step.post_activation is not None:
        key = "conv.arith.act_after_norm" if step.normalized is not None else "conv.arith.act_line"
        st.markdown(t(key, kind=step.activation, post=step.post_activation))
    elif step.normalized is not None:
        st.caption(t("conv.arith.no_act_norm"))
    else:
        st.caption(t("conv.arith.no_act"))
    if step.matches:
        post = "" if step.recorded_norm is None else t("conv.arith.match_norm", value=step.recorded_norm)
        post += "" if step.recorded_post is None else t("conv.arith.match_post", value=step.recorded_post)
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
    pixels = kern.pixels01(image)
    n = pixels.shape[0]
    if image.pixels.ndim == 3:  # the RGB crop: filtered as one gray picture, sent as PNGs rather than heatmaps
        st.caption(t("conv.play.rgb_note", n=n))
        big = kern.filter2d(pixels, kernel)
        c1, c2, c3 = st.columns([1, 1, 1])
        with c1:
            st.plotly_chart(figs.kernel_table(kernel, title=t("conv.play.kernel_title")), width="stretch")
        c2.image((pixels * 255).round().astype(np.uint8), caption=t("conv.play.original"), width=224, clamp=True)
        c3.image(figs.colorize(big.output), caption=t("conv.play.range", vmin=big.vmin, vmax=big.vmax), width=224)
        st.caption(t("conv.play.scale_note"))
        return
    small = kern.filter2d(pixels, kernel)
    c1, c2 = st.columns([1, 2])
    with c1:
        st.plotly_chart(figs.kernel_table(kernel, title=t("conv.play.kernel_title")), width="stretch")
    with c2:
        st.plotly_chart(figs.filtered_heatmap(small.output, title=t("conv.play.small_title", n=n)), width="stretch")
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
        r = c2.slider(t("conv.oned.row", n=pixels.shape[0]), 0, pixels.shape[0] - 1, pixels.shape[0] // 2,
                      key="conv_oned_row")
        signal = pixels[r].astype(np.float64)
    else:
        signal = kern.synthetic_signal(src)
    text = st.text_input(t("conv.oned.kernel"), "1/3, 1/3, 1/3", max_chars=200, key="conv_oned_kernel")
    course = kern.KERNELS["course_1d"][0]
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


def deeper_tab(ctx: PageContext, tr: Trace, image: PreparedImage) -> None:
    st.markdown(t("conv.deep.intro"))
    fields = ctx.shared(conv.receptive_fields, tr)
    branched = any(f.merged for f in fields)
    shown = conv.spatial_rows(fields) if ctx.is_imagenet else fields
    rows = []
    for f in shown:
        row = {
            t("conv.deep.col.layer"): f.key, t("conv.deep.col.kind"): f.kind,
            t("conv.deep.col.channels"): f.channels if f.channels is not None else "",
            t("conv.deep.col.size"): f"{f.height}×{f.width}" if f.height is not None else "—",
            t("conv.deep.col.k"): f.kernel, t("conv.deep.col.s"): f.stride, t("conv.deep.col.j"): f.jump,
            t("conv.deep.col.rf"): (f"{f.receptive_field}×{f.receptive_field}" if f.receptive_field
                                    else t("conv.deep.whole")),
        }
        if branched:
            row[t("conv.deep.col.join")] = t("conv.deep.join") if f.merged else ""
        rows.append(row)
    c1, c2 = st.columns([3, 2])
    c1.dataframe(rows, hide_index=True, width="stretch")
    c1.caption(t("conv.deep.formula"))
    if len(shown) < len(fields):
        c1.caption(t("conv.deep.rows_note", n=len(shown), total=len(fields)))
    n = image.pixels.shape[0]
    c2.plotly_chart(figs.receptive_field_figure(fields, image.pixels, title=t("conv.deep.figure", n=n)),
                    width="stretch")
    if branched:
        st.info(t("conv.deep.branches"))
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
        padding_explorer(imagenet=ctx.is_imagenet)
        with top:
            ctx.require_image()
    image = ctx.require_image()
    tr = ctx.trace()
    layers = conv.conv_layers(tr)
    rec: LayerRecord | None = None
    if layers:
        keys = [r.key for r in layers]
        key = layer_select(t("common.layer"), keys, "conv_layer", help=t("conv.layer_help"),
                           format_func=lambda k: _layer_option(tr, k))
        rec = tr[key if key in keys else keys[0]]
        layer_summary(tr, rec)
    not_conv = t("common.not_applicable", why=t("conv.no_conv"))
    lazy_tabs("conv_tab", [
        (t("conv.tab.maps"), lambda: st.info(not_conv) if rec is None else feature_maps_tab(tr, rec, image)),
        (t("conv.tab.arith"), lambda: st.info(not_conv) if rec is None else arithmetic_tab(tr, rec)),
        (t("conv.tab.pad"), lambda: padding_explorer(rec, imagenet=ctx.is_imagenet)),
        (t("conv.tab.play"), lambda: playground_tab(image)),
        (t("conv.tab.oned"), lambda: oned_tab(image)),
        (t("conv.tab.deep"), lambda: deeper_tab(ctx, tr, image)),
    ])


main(page_context())
