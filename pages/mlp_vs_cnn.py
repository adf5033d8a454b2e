"""Plain network vs CNN: parameters, test accuracy, first-layer weights and sensitivity to shifts."""

from __future__ import annotations

import math

import streamlit as st
from torch import nn

import models
from explain import shift
from explain.shift import ShiftAccuracy
from ui import state
from ui.figures.maps import as_numpy
from ui.figures.training import (
    kernels_figure,
    shift_accuracy_figure,
    shift_prob_figure,
    shift_strip,
    templates_figure,
)
from ui.i18n import class_name, t
from ui.mapview import show_maps
from ui.sections import lazy_tabs
from ui.sidebar import page_context

N_TEMPLATES = 32
MAX_SHIFT = 4
DEFAULT_HIDDEN = 256  # hidden units assumed when no MLP checkpoint is there


def _batch_shift_accuracy(model_name: str, model: nn.Module) -> ShiftAccuracy:
    """Accuracy vs shift on the committed 256 test images, once per model and process."""
    return state.shared(shift.accuracy_vs_shift, model, *models.test_batch(), max_shift=MAX_SHIFT,
                        scope=(model_name, "test_batch"))




def _n_params(name: str, card: dict) -> int:
    return int(card.get("parameters") or sum(p.numel() for p in state.get_model(name).parameters()))


def _fmnist(k: int) -> str:
    return class_name(k, family="fmnist")  # every model compared below is a Fashion-MNIST model


def _hidden_units(model: nn.Module | None) -> int:
    """Width of the plain network's first layer (its first Linear), or DEFAULT_HIDDEN without an MLP."""
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None) if model is not None else None
    return int(first.out_features) if first is not None else DEFAULT_HIDDEN


ctx = page_context()
st.title(t("mlp.title"))
st.markdown(t("mlp.intro"))

mlps = models.available(arch="mlp")
mlp_name = mlps[0].name if mlps else None

if ctx.is_imagenet:  # what applies to this model: the parameter count a plain network would need on its input
    title = ctx.title
    st.subheader(t("mlp.zoo.header", title=title))
    shape = tuple(ctx.image.tensor.shape[1:]) if ctx.image is not None else (3, ctx.spec.crop, ctx.spec.crop)
    pc = shift.param_comparison(ctx.model, shape, _hidden_units(state.get_model(mlp_name) if mlp_name else None))
    st.markdown(t("mlp.zoo.intro", c=pc.input_shape[0], h=pc.input_shape[1], w=pc.input_shape[2], n=pc.inputs,
                  hidden=pc.hidden))
    st.dataframe([
        {t("mlp.zoo.col.what"): t("mlp.zoo.row.mlp", n=pc.inputs, hidden=pc.hidden),
         t("mlp.zoo.col.formula"): f"{pc.inputs:,} × {pc.hidden} + {pc.hidden}", t("mlp.col.params"): pc.mlp_first},
        {t("mlp.zoo.col.what"): t("mlp.zoo.row.conv", title=title, layer=pc.conv_name),
         t("mlp.zoo.col.formula"): " × ".join(str(v) for v in pc.conv_weight_shape) + (
             f" + {pc.conv_weight_shape[0]}" if pc.conv_first > math.prod(pc.conv_weight_shape) else ""),
         t("mlp.col.params"): pc.conv_first},
        {t("mlp.zoo.col.what"): t("mlp.zoo.row.total", title=title), t("mlp.zoo.col.formula"): "Σ",
         t("mlp.col.params"): pc.total},
    ], hide_index=True, width="stretch")
    st.markdown(t("mlp.zoo.ratio", ratio=pc.ratio, title=title, first=pc.mlp_first / pc.conv_first))
    st.info(t("common.imagenet_not_applicable", why=t("mlp.zoo.why"), title=title))
    st.header(t("mlp.zoo.fmnist_header"))
if ctx.info is not None and ctx.info.arch == "tinyvgg":
    cnn_name = ctx.model_name
else:
    family = models.available(arch="tinyvgg")
    cnn_name = family[0].name if family else None
if cnn_name is None:
    st.info(t("common.not_applicable", why=t("mlp.no_cnn")))
    st.stop()
if mlp_name is None:
    st.info(t("mlp.missing"))
mlp = state.get_model(mlp_name) if mlp_name else None
cnn = state.get_model(cnn_name)

def params_section() -> None:
    # --- parameters and accuracy (every model: committed family, the MLP, this session's own) ---------------
    st.subheader(t("mlp.table"))
    rows = []
    for info in [*[i for i in state.model_infos() if i.family == "fmnist"], *mlps]:
        rows.append({
            t("mlp.col.model"): info.name,
            t("mlp.col.arch"): t(f"mlp.arch.{info.arch}") if info.arch in ("mlp", "tinyvgg") else info.arch,
            t("mlp.col.params"): _n_params(info.name, info.card),
            t("mlp.col.test"): f"{info.test_accuracy:.1%}",
            t("mlp.col.first"): shift.first_layer_weights(state.get_model(info.name))[0],
        })
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(t("mlp.table_note"))


def weights_section() -> None:
    # --- first-layer weights side by side ----------------------------------------------------------------------
    st.subheader(t("mlp.weights"))
    range_mode = st.radio(t("common.color_range"), ["map", "layer"], horizontal=True, key="mlp_range",
                          format_func=lambda m: t(f"common.range.{m}"))
    left, right = st.columns([3, 2]) if mlp is not None else (None, st.container())
    if mlp is not None and left is not None:
        _, templates = shift.first_layer_weights(mlp)
        show_maps(templates_figure(
            as_numpy(templates[:N_TEMPLATES]), range_mode=range_mode, label=t("mlp.unit"),
            title=t("mlp.templates", name=mlp_name, n=min(N_TEMPLATES, len(templates)), total=len(templates))),
            where=left)
    layer, kernels = shift.first_layer_weights(cnn)
    show_maps(kernels_figure(as_numpy(kernels), range_mode=range_mode,
                             title=t("mlp.kernels", name=cnn_name, layer=layer, c=len(kernels))), where=right)
    st.caption(t("mlp.weights_help"))


def batch_shift_section() -> None:
    # --- accuracy under shifts on the committed test batch -----------------------------------------------------
    st.subheader(t("mlp.shift_batch"))
    series = {}
    with st.spinner():
        if mlp is not None and mlp_name is not None:
            series[mlp_name] = _batch_shift_accuracy(mlp_name, mlp)
        series[cnn_name] = _batch_shift_accuracy(cnn_name, cnn)
    n_batch = series[cnn_name].n_images
    st.plotly_chart(shift_accuracy_figure(series, title=t("mlp.shift_batch_fig", n=n_batch), x_title=t("mlp.shift_px"),
                                          y_title=t("mlp.accuracy")), width="stretch")
    if mlp_name is not None:
        m, c = series[mlp_name], series[cnn_name]
        st.caption(t("mlp.shift_batch_note", mlp_name=mlp_name, mlp=m.accuracy[-1],
                     mlp_drop=100 * (m.accuracy[0] - m.accuracy[-1]), cnn_name=cnn_name, cnn=c.accuracy[-1],
                     cnn_drop=100 * (c.accuracy[0] - c.accuracy[-1])))
    with st.expander(t("common.why")):
        st.markdown(t("mlp.why"))


def image_shift_section() -> None:
    # --- the current image -------------------------------------------------------------------------------------
    st.subheader(t("mlp.shift_image"))
    image = ctx.require_image()
    if ctx.is_imagenet:  # the same upload, prepared as the Fashion-MNIST models take it
        image = state.current_image(None) or image
        st.caption(t("mlp.zoo.image_note"))
    strip = [as_numpy(shift.shift_image(image.tensor[0, 0], 0, s)) for s in range(MAX_SHIFT + 1)]
    show_maps(shift_strip(strip, title=t("mlp.strip"), labels=[f"+{s} px" for s in range(MAX_SHIFT + 1)]))
    results = {}
    if mlp is not None and mlp_name is not None:
        results[mlp_name] = state.shared(shift.shift_sensitivity, mlp, image.tensor, MAX_SHIFT,
                                         scope=(mlp_name, image.digest))
    results[cnn_name] = state.shared(shift.shift_sensitivity, cnn, image.tensor, MAX_SHIFT,
                                     scope=(cnn_name, image.digest))
    st.plotly_chart(shift_prob_figure(results, title=t("mlp.shift_prob_fig"), x_title=t("mlp.shift_px"),
                                      y_title=t("mlp.probability")), width="stretch")
    st.markdown("**" + t("mlp.flip_table") + "**")
    table = []
    for name, r in results.items():
        for d, direction in enumerate(r.directions):
            row = {t("mlp.col.direction"): f"{name} · {t(f'mlp.dir.{direction}')}"}
            for s in r.shifts:
                mark = "" if r.pred[d][s] == r.original_class else " ✗"
                row[f"{s} px"] = _fmnist(r.pred[d][s]) + mark
            table.append(row)
    st.dataframe(table, hide_index=True, width="stretch")


lazy_tabs("mlp_tab", [
    (t("mlp.tab.params"), params_section),
    (t("mlp.tab.weights"), weights_section),
    (t("mlp.tab.shift_batch"), batch_shift_section),
    (t("mlp.tab.shift_image"), image_shift_section),
])
