"""Upsampling: nearest, bilinear and transposed convolution on a real feature map; checkerboard; pooling round trip."""

from __future__ import annotations

import streamlit as st

from explain.channels import SMALL, channel_scores
from explain.tensors import tensor_choices, window_out
from explain.upsampling import (
    adjoint_check,
    bilinear,
    bilinear_kernel,
    check_params,
    crop_around_max,
    default_layer,
    fitting_output_padding,
    module_output_size,
    overlap_counts,
    pool_roundtrip,
    torch_reference,
    transposed_formula,
    transposed_out_size,
    upsample_all,
)
from ui import state
from ui.figures.maps import heatmap, overlay
from ui.figures.upsampling import counts_figure, maps_row
from ui.i18n import t
from ui.mapview import show_maps
from ui.paging import channel_pager
from ui.sections import lazy_tabs
from ui.sidebar import page_context

CROP = 28  # larger maps (ImageNet: 56, 112) are upsampled as a 28x28 piece around their maximum

ctx = page_context()
st.title(t("up.title"))
st.markdown(t("up.intro"))

def checker_section() -> None:
    # --- the checkerboard effect (no image needed) --------------------------------------------------------------
    st.header(t("up.checker.header"))
    st.markdown(t("up.checker.intro"))
    n_demo = 5
    c1, c2 = st.columns(2)
    with c1:
        counts3 = overlap_counts(n_demo, 3, 2)
        st.plotly_chart(counts_figure(counts3, title=t("up.checker.fig", k=3, s=2, n=n_demo,
                                                       shape=list(counts3.shape))), width="stretch")
    with c2:
        counts4 = overlap_counts(n_demo, 4, 2, 1)
        st.plotly_chart(counts_figure(counts4, title=t("up.checker.fig", k=4, s=2, n=n_demo,
                                                       shape=list(counts4.shape))), width="stretch")
    st.caption(t("up.checker.caption"))
    with st.expander(t("common.why")):
        st.markdown(t("up.checker.why"))


def real_section() -> None:
    # --- nearest, bilinear, transposed convolution on a real map ------------------------------------------------
    ctx.require_image()
    tr = ctx.trace()
    st.header(t("up.real.header"))
    choices = {k: v for k, v in tensor_choices(tr).items() if v.dim() == 4}
    keys = [k for k in choices if k != "input"]
    if not keys:
        st.info(t("common.not_applicable", why=t("up.no_maps")))
        keys = ["input"]
    default = default_layer({k: tuple(choices[k].shape) for k in keys},
                            exclude={r.key for r in tr.layers if r.kind.startswith("Adaptive")})
    state.forget_invalid("up_layer", keys)
    s1, s2, s3 = st.columns(3)
    layer = s1.selectbox(t("common.layer"), keys, index=keys.index(default), key="up_layer",
                         format_func=lambda k: f"{k} · {list(choices[k].shape)}")
    fmap = choices[layer]
    n_channels = int(fmap.shape[1])
    if n_channels > SMALL:  # hundreds of channels: a page of the strongest, then one of them
        with s2:
            page = channel_pager(fmap[0], key=f"up_page_{layer}", by="mean")
        pick_key = "up_channel_pick"
        state.forget_invalid(pick_key, list(page.channels))
        channel = int(s2.selectbox(t("common.channel"), list(page.channels), key=pick_key))
    else:
        channel = s2.number_input(t("common.channel"), min_value=0, max_value=n_channels - 1, value=0, step=1,
                                  key="up_channel")
        channel = min(int(channel), n_channels - 1)
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
    kernel_kind = k1.radio(t("up.kernel"), ["bilinear", "ones"], format_func=lambda v: t(f"up.kernel.{v}"),
                           key="up_kernel_kind")
    k = int(k2.slider(t("up.k"), 1, 8, 2 * scale, key="up_k"))
    p = int(k3.slider(t("up.p"), 0, 4, scale // 2, key="up_p"))
    op = int(k4.slider(t("up.op"), 0, scale - 1, 0, key="up_op"))
    problem = check_params(k, scale, p, op)
    if problem is None and transposed_out_size(n, k, scale, p, op) < 1:
        problem = "too_small"
    if problem is not None:
        st.error(t(f"up.err.{problem}", k=k, s=scale, p=p, op=op))
        st.stop()
    kernel = bilinear_kernel(k) if kernel_kind == "bilinear" else bilinear_kernel(k).new_ones(k, k)
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
    ref_near, ref_bil = torch_reference(source, scale)
    st.caption(t("up.checks", near=float((ref_near - up.nearest).abs().max()),
                 bil=float((ref_bil - up.bilinear).abs().max())))
    with st.expander(t("up.kernel.show")):
        st.plotly_chart(heatmap(kernel, text=True, title=t("up.kernel.fig", k=k), height=260), width="stretch")
        st.markdown(t("up.kernel.why"))

    side = int(tr.input.shape[-1])
    n_full = int(full.shape[-1])
    if side % n_full == 0:
        st.subheader(t("up.back.header"))
        restored = bilinear(full.detach().float(), side // n_full)
        background = ctx.image.pixels if ctx.is_imagenet and ctx.image is not None else tr.input[0, 0]
        show_maps(overlay(background, restored, title=t("up.back.fig", n=n_full, side=side)))
        st.caption(t("up.back.caption"))


def inverse_section() -> None:
    # --- the inverse of pooling and strided convolution ---------------------------------------------------------
    ctx.require_image()
    tr = ctx.trace()
    st.header(t("up.inverse.header"))
    pools = tr.of_kind("MaxPool2d")
    if not pools:
        st.info(t("common.not_applicable", why=t("up.no_pool")))
    else:
        pool = st.selectbox(t("up.inverse.pool"), [r.key for r in pools], key="up_pool")
        rec = tr[pool]
        assert rec.input is not None
        c = int(channel_scores(rec.input[0], "max").argmax())  # the pool's own strongest channel
        h_in, h_out = int(rec.input.shape[-1]), int(rec.output.shape[-1])
        factor = h_in // max(h_out, 1)
        st.markdown(t("up.inverse.intro", pool=pool, c=c, a=h_in, b=h_out, s=factor))
        before = crop_around_max(rec.input[0, c], CROP, align=factor, limit=(h_out * factor, h_out * factor))
        after = rec.output[0, c]
        if before.cropped:
            b0, a0 = before.top // factor, before.left // factor
            after = after[b0:b0 + CROP // factor, a0:a0 + CROP // factor]
            st.caption(t("up.inverse.crop", n=CROP, r0=before.top, c0=before.left, side=h_in))
        rt = pool_roundtrip(before.values, after)
        cfg = rec.config
        k_pool, s_pool, p_pool = cfg.get("kernel_size", factor), cfg.get("stride", factor), cfg.get("padding", 0)
        if (k_pool, p_pool) != (s_pool, 0):
            st.caption(t("up.inverse.overlap", pool=pool, k=k_pool, s=s_pool, p=p_pool))
        st.plotly_chart(maps_row([(t("up.panel.before"), rt.original), (t("up.panel.pooled"), rt.pooled),
                                  (t("up.panel.restored", s=factor), rt.restored)],
                                 title=t("up.inverse.fig", pool=pool, c=c)), width="stretch")
        e1, e2 = st.columns([2, 3])
        with e1:
            st.plotly_chart(heatmap(rt.error, signed=True, title=t("up.inverse.error_fig", shape=list(rt.error.shape)),
                                    height=300), width="stretch")
        with e2:
            st.markdown(t("up.inverse.stats", mae=rt.mean_abs_error, max=rt.max_abs_error, exact=rt.exact_fraction))
            down = window_out(h_in, 3, 2, 1)
            op = fitting_output_padding(h_in)
            back = transposed_out_size(down, 3, 2, 1, op)
            adj = adjoint_check(rec.input[0, c], output_padding=op)
            st.markdown(t("up.inverse.strided", n=h_in, down=down, back=back, op=op,
                          real_down=adj.y_shape[-1], real_back=adj.back_shape[-1]))
            st.caption(t("up.inverse.adjoint", lhs=adj.lhs, rhs=adj.rhs, err=adj.roundtrip_error))
        with st.expander(t("common.why")):
            st.markdown(t("up.inverse.why"))


lazy_tabs("up_tab", [
    (t("up.tab.checker"), checker_section),
    (t("up.tab.real"), real_section),
    (t("up.tab.inverse"), inverse_section),
])
