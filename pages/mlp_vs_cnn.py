"""Plain network vs CNN: parameters, test accuracy, first-layer weights and sensitivity to shifts."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from torch import nn

import models
from explain import shift
from explain.shift import ShiftAccuracy
from explain.summary import hidden_units, n_parameters, param_formula
from explain.training import accuracy_drop_pp
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
from ui.sidebar import PageContext, page_context

N_TEMPLATES = 32
MAX_SHIFT = 4
DEFAULT_HIDDEN = 256  # hidden units assumed when no MLP checkpoint is there


@dataclass(frozen=True)
class Compared:
    """The two Fashion-MNIST models side by side: the committed MLP (if any) and a CNN."""

    mlp_name: str | None
    mlp: nn.Module | None
    cnn_name: str
    cnn: nn.Module


def _batch_shift_accuracy(model_name: str, model: nn.Module) -> ShiftAccuracy:
    """Accuracy vs shift on the committed 256 test images, once per model and process."""
    return state.shared(shift.accuracy_vs_shift, model, *models.test_batch(), max_shift=MAX_SHIFT,
                        scope=(model_name, "test_batch"))


def _n_params(info: models.ModelInfo) -> int:
    """The card's parameter count, else counted from the model's tensors."""
    return int(info.card.get("parameters") or n_parameters(state.get_model(info.name)))


def _fmnist(k: int) -> str:
    return class_name(k, family=models.FMNIST)  # every model compared below is a Fashion-MNIST model


def _mlp_name() -> str | None:
    mlps = models.available(arch="mlp")
    return mlps[0].name if mlps else None


def _cnn_name(ctx: PageContext) -> str | None:
    """The chosen model when it is a TinyVGG, else the first committed one."""
    if ctx.info is not None and ctx.info.arch == "tinyvgg":
        return ctx.model_name
    family = models.available(arch="tinyvgg")
    return family[0].name if family else None


def zoo_section(ctx: PageContext, mlp_name: str | None) -> None:
    """What applies to an ImageNet model: the parameter count a plain network would need on its input."""
    title = ctx.title
    st.subheader(t("mlp.zoo.header", title=title))
    shape = tuple(ctx.image.tensor.shape[1:]) if ctx.image is not None else (3, ctx.spec.crop, ctx.spec.crop)
    hidden = hidden_units(state.get_model(mlp_name) if mlp_name else None, DEFAULT_HIDDEN)
    pc = shift.param_comparison(ctx.model, shape, hidden)
    st.markdown(t("mlp.zoo.intro", c=pc.input_shape[0], h=pc.input_shape[1], w=pc.input_shape[2], n=pc.inputs,
                  hidden=pc.hidden))
    st.dataframe([
        {t("mlp.zoo.col.what"): t("mlp.zoo.row.mlp", n=pc.inputs, hidden=pc.hidden),
         t("mlp.zoo.col.formula"): f"{pc.inputs:,} × {pc.hidden} + {pc.hidden}", t("mlp.col.params"): pc.mlp_first},
        {t("mlp.zoo.col.what"): t("mlp.zoo.row.conv", title=title, layer=pc.conv_name),
         t("mlp.zoo.col.formula"): param_formula(pc.conv_weight_shape, pc.conv_first),
         t("mlp.col.params"): pc.conv_first},
        {t("mlp.zoo.col.what"): t("mlp.zoo.row.total", title=title), t("mlp.zoo.col.formula"): "Σ",
         t("mlp.col.params"): pc.total},
    ], hide_index=True, width="stretch")
    st.markdown(t("mlp.zoo.ratio", ratio=pc.ratio, title=title, first=pc.mlp_first / pc.conv_first))
    st.info(t("common.imagenet_not_applicable", why=t("mlp.zoo.why"), title=title))
    st.header(t("mlp.zoo.fmnist_header"))


def params_section() -> None:
    """Parameters and accuracy of every Fashion-MNIST model: the committed family, this session's own, the MLP."""
    st.subheader(t("mlp.table"))
    infos = [*(i for i in state.model_infos() if i.family == models.FMNIST), *models.available(arch="mlp")]
    rows = [{
        t("mlp.col.model"): info.name,
        t("mlp.col.arch"): t(f"mlp.arch.{info.arch}") if info.arch in ("mlp", "tinyvgg") else info.arch,
        t("mlp.col.params"): _n_params(info),
        t("mlp.col.test"): f"{info.test_accuracy:.1%}",
        t("mlp.col.first"): shift.first_layer_weights(state.get_model(info.name))[0],
    } for info in infos]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(t("mlp.table_note"))


def weights_section(pair: Compared) -> None:
    """First-layer weights side by side: the MLP's templates, the CNN's kernels."""
    st.subheader(t("mlp.weights"))
    range_mode = st.radio(t("common.color_range"), ["map", "layer"], horizontal=True, key="mlp_range",
                          format_func=lambda m: t(f"common.range.{m}"))
    left, right = st.columns([3, 2]) if pair.mlp is not None else (None, st.container())
    if pair.mlp is not None and left is not None:
        _, templates = shift.first_layer_weights(pair.mlp)
        show_maps(templates_figure(
            as_numpy(templates[:N_TEMPLATES]), range_mode=range_mode, label=t("mlp.unit"),
            title=t("mlp.templates", name=pair.mlp_name, n=min(N_TEMPLATES, len(templates)), total=len(templates))),
            where=left)
    layer, kernels = shift.first_layer_weights(pair.cnn)
    show_maps(kernels_figure(as_numpy(kernels), range_mode=range_mode,
                             title=t("mlp.kernels", name=pair.cnn_name, layer=layer, c=len(kernels))), where=right)
    st.caption(t("mlp.weights_help"))


def batch_shift_section(pair: Compared) -> None:
    """Accuracy under shifts on the committed test batch (needs no image)."""
    st.subheader(t("mlp.shift_batch"))
    series = {}
    with st.spinner():
        if pair.mlp is not None and pair.mlp_name is not None:
            series[pair.mlp_name] = _batch_shift_accuracy(pair.mlp_name, pair.mlp)
        series[pair.cnn_name] = _batch_shift_accuracy(pair.cnn_name, pair.cnn)
    n_batch = series[pair.cnn_name].n_images
    st.plotly_chart(shift_accuracy_figure(series, title=t("mlp.shift_batch_fig", n=n_batch), x_title=t("mlp.shift_px"),
                                          y_title=t("mlp.accuracy")), width="stretch")
    if pair.mlp_name is not None:
        m, c = series[pair.mlp_name], series[pair.cnn_name]
        st.caption(t("mlp.shift_batch_note", mlp_name=pair.mlp_name, mlp=m.accuracy[-1],
                     mlp_drop=accuracy_drop_pp(m.accuracy), cnn_name=pair.cnn_name, cnn=c.accuracy[-1],
                     cnn_drop=accuracy_drop_pp(c.accuracy)))
    with st.expander(t("common.why")):
        st.markdown(t("mlp.why"))


def image_shift_section(ctx: PageContext, pair: Compared) -> None:
    """The current image shifted pixel by pixel: each model's probability and prediction."""
    st.subheader(t("mlp.shift_image"))
    image = ctx.require_image()
    if ctx.is_imagenet:  # the same upload, prepared as the Fashion-MNIST models take it
        image = state.current_image(None) or image
        st.caption(t("mlp.zoo.image_note"))
    strip = [as_numpy(shift.shift_image(image.tensor[0, 0], 0, s)) for s in range(MAX_SHIFT + 1)]
    show_maps(shift_strip(strip, title=t("mlp.strip"), labels=[f"+{s} px" for s in range(MAX_SHIFT + 1)]))
    results = {}
    if pair.mlp is not None and pair.mlp_name is not None:
        results[pair.mlp_name] = state.shared(shift.shift_sensitivity, pair.mlp, image.tensor, MAX_SHIFT,
                                              scope=(pair.mlp_name, image.digest))
    results[pair.cnn_name] = state.shared(shift.shift_sensitivity, pair.cnn, image.tensor, MAX_SHIFT,
                                          scope=(pair.cnn_name, image.digest))
    st.plotly_chart(shift_prob_figure(results, title=t("mlp.shift_prob_fig"), x_title=t("mlp.shift_px"),
                                      y_title=t("mlp.probability")), width="stretch")
    st.markdown("**" + t("mlp.flip_table") + "**")
    table = []
    for name, r in results.items():
        for d, direction in enumerate(r.directions):
            row = {t("mlp.col.direction"): f"{name} · {t(f'mlp.dir.{direction}')}"}
            for s in r.shifts:
                row[f"{s} px"] = _fmnist(r.pred[d][s]) + (" ✗" if r.flipped[d][s] else "")
            table.append(row)
    st.dataframe(table, hide_index=True, width="stretch")


def main(ctx: PageContext) -> None:
    st.title(t("mlp.title"))
    st.markdown(t("mlp.intro"))
    mlp_name = _mlp_name()
    if ctx.is_imagenet:
        zoo_section(ctx, mlp_name)
    cnn_name = _cnn_name(ctx)
    if cnn_name is None:
        st.info(t("common.not_applicable", why=t("mlp.no_cnn")))
        return
    if mlp_name is None:
        st.info(t("mlp.missing"))
    pair = Compared(mlp_name, state.get_model(mlp_name) if mlp_name else None, cnn_name, state.get_model(cnn_name))
    lazy_tabs("mlp_tab", [
        (t("mlp.tab.params"), params_section),
        (t("mlp.tab.weights"), lambda: weights_section(pair)),
        (t("mlp.tab.shift_batch"), lambda: batch_shift_section(pair)),
        (t("mlp.tab.shift_image"), lambda: image_shift_section(ctx, pair)),
    ])


main(page_context())
