"""Upsampling: nearest, bilinear and transposed convolution on a real feature map; checkerboard; pooling round trip."""

from __future__ import annotations

import streamlit as st
import torch

from explain.channels import SMALL
from explain.imaging import PreparedImage
from explain.trace import Trace
from explain.upsampling import (
    KERNELS,
    back_to_input,
    check_params,
    crop_around_max,
    make_kernel,
    map_layers,
    module_output_size,
    overlap_counts,
    pool_inverse,
    reference_diffs,
    transposed_formula,
    upsample_all,
)
from ui import state
from ui.figures.maps import heatmap, overlay
from ui.figures.upsampling import counts_picture, maps_row
from ui.i18n import t
from ui.mapview import show_maps
from ui.paging import channel_pager
from ui.sections import lazy_tabs
from ui.sidebar import PageContext, page_context

CROP = 28  # larger maps (ImageNet: 56, 112) are upsampled as a 28x28 piece around their maximum
CHECKER_SIDE = 5  # the checkerboard demo's input side


def checker_section() -> None:
    """The checkerboard effect: how many kernel stamps land on each output pixel (no image needed)."""
    st.header(t("up.checker.header"))
    st.markdown(t("up.checker.intro"))
    for col, (k, s, p) in zip(st.columns(2), ((3, 2, 0), (4, 2, 1)), strict=True):
        with col:
            counts = overlap_counts(CHECKER_SIDE, k, s, p)
            show_maps(counts_picture(counts, title=t("up.checker.fig", k=k, s=s, n=CHECKER_SIDE,
                                                     shape=list(counts.shape))))
    st.caption(t("up.checker.caption"))
    with st.expander(t("common.why")):
        st.markdown(t("up.checker.why"))


def _pick_channel(column, fmap: torch.Tensor, layer: str) -> int:  # noqa: ANN001 - a Streamlit column
    """The channel to upsample: a number, or a page of the strongest channels when there are hundreds."""
    n_channels = int(fmap.shape[1])
    if n_channels > SMALL:  # hundreds of channels: a page of the strongest, then one of them
        with column:
            page = channel_pager(fmap[0], key=f"up_page_{layer}", by="mean")
        pick_key = "up_channel_pick"
        state.forget_invalid(pick_key, list(page.channels))
        return int(column.selectbox(t("common.channel"), list(page.channels), key=pick_key))
    channel = column.number_input(t("common.channel"), min_value=0, max_value=n_channels - 1, value=0, step=1,
                                  key="up_channel")
    return min(int(channel), n_channels - 1)


def real_section(ctx: PageContext, image: PreparedImage, tr: Trace) -> None:
    """Nearest, bilinear and transposed convolution on one channel of a real feature map, and back to the input."""
    st.header(t("up.real.header"))
    layers = map_layers(tr)
    if not layers.has_maps:
        st.info(t("common.not_applicable", why=t("up.no_maps")))
    keys = list(layers.keys)
    state.forget_invalid("up_layer", keys)
    s1, s2, s3 = st.columns(3)
    layer = s1.selectbox(t("common.layer"), keys, index=keys.index(layers.default), key="up_layer",
                         format_func=lambda k: f"{k} · {list(layers.maps[k].shape)}")
    fmap = layers.maps[layer]
    channel = _pick_channel(s2, fmap, layer)
    scale = int(s3.radio(t("up.scale"), [2, 4], horizontal=True, key="up_scale"))
    full = fmap[0, channel]
    crop = crop_around_max(full, CROP)
    source = crop.values
    n = int(source.shape[-1])

    st.markdown(t("up.real.intro", layer=layer, c=channel, n=n, m=n * scale))
    if crop.cropped:
        st.caption(t("up.crop", side=int(full.shape[-1]), n=n, r0=crop.top, r1=crop.top + n - 1, c0=crop.left,
                     c1=crop.left + n - 1))
    k1, k2, k3, k4 = st.columns(4)
    kernel_kind = k1.radio(t("up.kernel"), list(KERNELS), format_func=lambda v: t(f"up.kernel.{v}"),
                           key="up_kernel_kind")
    k = int(k2.slider(t("up.k"), 1, 8, 2 * scale, key="up_k"))
    p = int(k3.slider(t("up.p"), 0, 4, scale // 2, key="up_p"))
    op = int(k4.slider(t("up.op"), 0, scale - 1, 0, key="up_op"))
    problem = check_params(k, scale, p, op, n=n)
    if problem is not None:
        st.error(t(f"up.err.{problem}", k=k, s=scale, p=p, op=op))
        st.stop()
    kernel = make_kernel(kernel_kind, k)
    up = upsample_all(source, scale, kernel, scale, p, op)
    real = module_output_size(n, k, scale, p, op)
    st.markdown(t("up.formula", formula=transposed_formula(n, k, scale, p, op), real=real,
                  ok="✓" if real == up.transposed.shape[-1] else "✗"))
    if up.transposed.shape[-1] != n * scale:
        st.caption(t("up.size_hint", target=n * scale, k=scale + 2 * p - op))
    mode = st.radio(t("common.color_range"), ["layer", "map"], horizontal=True, key="up_range",
                    format_func=lambda m: t(f"common.range.{m}" if m == "map" else "up.range.shared"))
    panels = [(t("up.panel.source"), up.source), (t("up.panel.nearest"), up.nearest),
              (t("up.panel.bilinear"), up.bilinear), (t("up.panel.transposed"), up.transposed)]
    if mode == "layer":
        st.plotly_chart(maps_row(panels, title=t("up.real.fig", layer=layer, c=channel)), width="stretch")
    else:
        cols = st.columns(len(panels))
        for col, (name, m) in zip(cols, panels, strict=True):
            col.plotly_chart(heatmap(m, title=f"{name} · {list(m.shape)}", height=260), width="stretch")
    near, bil = reference_diffs(up)
    st.caption(t("up.checks", near=near, bil=bil))
    with st.expander(t("up.kernel.show")):
        st.plotly_chart(heatmap(kernel, text=True, title=t("up.kernel.fig", k=k), height=260), width="stretch")
        st.markdown(t("up.kernel.why"))

    side = int(tr.input.shape[-1])
    restored = back_to_input(full, side)
    if restored is not None:
        st.subheader(t("up.back.header"))
        background = image.pixels if ctx.is_imagenet else tr.input[0, 0]
        show_maps(overlay(background, restored, title=t("up.back.fig", n=int(full.shape[-1]), side=side)))
        st.caption(t("up.back.caption"))


def inverse_section(tr: Trace) -> None:
    """The inverse of pooling (nearest upsampling) and of a strided convolution (its transposed convolution)."""
    st.header(t("up.inverse.header"))
    pools = tr.of_kind("MaxPool2d")
    if not pools:
        st.info(t("common.not_applicable", why=t("up.no_pool")))
        return
    pool = st.selectbox(t("up.inverse.pool"), [r.key for r in pools], key="up_pool")
    inv = pool_inverse(tr, pool, CROP)
    c, factor, h_in = inv.channel, inv.factor, inv.side_in
    st.markdown(t("up.inverse.intro", pool=pool, c=c, a=h_in, b=inv.side_out, s=factor))
    if inv.before.cropped:
        st.caption(t("up.inverse.crop", n=CROP, r0=inv.before.top, c0=inv.before.left, side=h_in))
    rt = inv.roundtrip
    if inv.overlapping:
        st.caption(t("up.inverse.overlap", pool=pool, k=inv.kernel_size, s=inv.stride, p=inv.padding))
    st.plotly_chart(maps_row([(t("up.panel.before"), rt.original), (t("up.panel.pooled"), rt.pooled),
                              (t("up.panel.restored", s=factor), rt.restored)],
                             title=t("up.inverse.fig", pool=pool, c=c)), width="stretch")
    e1, e2 = st.columns([2, 3])
    with e1:
        st.plotly_chart(heatmap(rt.error, signed=True, title=t("up.inverse.error_fig", shape=list(rt.error.shape)),
                                height=300), width="stretch")
    with e2:
        st.markdown(t("up.inverse.stats", mae=rt.mean_abs_error, max=rt.max_abs_error, exact=rt.exact_fraction))
        adj = inv.adjoint
        st.markdown(t("up.inverse.strided", n=h_in, down=inv.down, back=inv.back, op=inv.output_padding,
                      real_down=adj.y_shape[-1], real_back=adj.back_shape[-1]))
        st.caption(t("up.inverse.adjoint", lhs=adj.lhs, rhs=adj.rhs, err=adj.roundtrip_error))
    with st.expander(t("common.why")):
        st.markdown(t("up.inverse.why"))


def main(ctx: PageContext) -> None:
    st.title(t("up.title"))
    st.markdown(t("up.intro"))

    def real() -> None:
        image = ctx.require_image()
        real_section(ctx, image, ctx.trace())

    def inverse() -> None:
        ctx.require_image()
        inverse_section(ctx.trace())

    lazy_tabs("up_tab", [
        (t("up.tab.checker"), checker_section),
        (t("up.tab.real"), real),
        (t("up.tab.inverse"), inverse),
    ])


main(page_context())
