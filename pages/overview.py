"""Overview: choose the image, see the preprocessing, the prediction and the architecture."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

import models
from explain.imaging import MEAN, STD, PreparedImage
from explain.network import NetworkView, NoColumnsError, network_view
from explain.summary import total_params
from explain.trace import Trace
from ui import state
from ui.figures.network import clicked_key, network_figure
from ui.figures.overview import top_k_bar
from ui.figures.picture import crisp
from ui.i18n import class_name, t
from ui.nav import LAYER_PARAM, PageSpec, page_of_kind, pages_of_kinds
from ui.picker import image_picker, upload_boxes_in_language
from ui.sidebar import PageContext, page_context
from ui.weights import own_weights_uploader

LINKS_PER_ROW = 5
TOP_K = {models.FMNIST: 3, models.IMAGENET: 5}  # classes in the prediction chart, by model family


def _optimizer_text(card: dict) -> str:
    """How a model was trained, in the reader's language: the committed recipe (Adam, weight decay, cosine
    schedule) or a training-lab run (its own optimizer, no schedule)."""
    cfg = card["config"]
    if "weight_decay" in cfg:
        return t("overview.card_optimizer", lr=cfg["lr"], wd=cfg["weight_decay"], batch=cfg["batch_size"],
                 epochs=card["epochs"])
    return t("overview.card_optimizer_lab", opt=t(f"train.opt.{cfg['optimizer']}"), lr=cfg["lr"],
             batch=cfg["batch_size"], epochs=card["epochs"])


def _layer_query(spec: PageSpec, key: str) -> dict[str, str]:
    """The URL query that opens ``key`` already selected on its page (pages whose layer picker is bound)."""
    param = LAYER_PARAM.get(spec.path)
    return {param: key} if param else {}


def _hover(view: NetworkView, i: int) -> str:
    col = view.columns[i]
    spec = page_of_kind(col.kind)
    page = t(spec.title_key) if spec is not None else "—"
    shape = ", ".join(str(s) for s in col.shape)
    if col.units:
        return t("overview.net.hover_units", key=col.key, kind=col.kind, shape=shape, n=col.n_channels, page=page)
    channels = ", ".join(str(c) for c in col.channels)
    if col.stage is not None:
        stage = t("overview.net.stem") if col.stage == "stem" else col.stage
        return t("overview.net.hover_stage", stage=stage, layers=col.layers, key=col.key, kind=col.kind,
                 shape=shape, k=len(col.channels), n=col.n_channels, channels=channels, page=page)
    return t("overview.net.hover_maps", key=col.key, kind=col.kind, shape=shape, channels=channels,
             n=col.n_channels, page=page)


def _network_figure(view: NetworkView, lang: str) -> go.Figure:
    """The picture in one language (hover texts and class names; ``lang`` keys the shared cache)."""
    out = None
    if view.output_key is not None:
        kind = next((c.kind for c in view.columns if c.key == view.output_key), "Linear")
        spec = page_of_kind(kind)
        out = t("overview.net.hover_output", key=view.output_key, page=t(spec.title_key)) if spec else None
    return network_figure(view, class_labels=[class_name(c) for c, _ in view.classes],
                          hovers=[_hover(view, i) for i in range(len(view.columns))],
                          input_title=t("overview.net.input"), output_hover=out or "",
                          probs_title=t("overview.net.probs"), stem_label=t("overview.net.stem"))


def network_at_a_glance(ctx: PageContext, tr: Trace, image: PreparedImage) -> None:
    """The whole forward pass in one picture; a click on a column (or a link) opens that layer on its page."""
    st.subheader(t("overview.net.title"))
    try:
        view = ctx.shared(network_view, tr, pixels=image.pixels)  # once per (model, image), for every session
    except NoColumnsError:
        st.info(t("overview.net.none"))
        return
    if not view.has_maps:
        st.markdown(t("overview.net.intro_units", model=ctx.title))
    elif view.per_stage:
        st.markdown(t("overview.net.intro_stages", model=ctx.title, n=view.n_map_layers, k=view.top_k))
    else:
        st.markdown(t("overview.net.intro", model=ctx.title, k=view.top_k))
    fig = ctx.shared(_network_figure, view, ctx.lang)
    nav = st.session_state.get(state.OVERVIEW_NAV_KEY, 0)  # a returning reader gets a fresh chart state
    event = st.plotly_chart(fig, key=f"overview_net_{nav}", on_select="rerun", selection_mode="points",
                            width="stretch", config={"displayModeBar": False})
    st.caption(t("overview.net.colors"))
    key = clicked_key(view, event.selection) if event is not None else None
    if key is not None:
        spec = page_of_kind(tr[key].kind)
        if spec is not None:
            st.session_state[state.OVERVIEW_NAV_KEY] = nav + 1
            st.switch_page(spec.path, query_params=_layer_query(spec, key))
    st.markdown(t("overview.net.links"))
    cols = view.columns
    for start in range(0, len(cols), LINKS_PER_ROW):
        row = st.columns(LINKS_PER_ROW)
        for cell, col in zip(row, cols[start:start + LINKS_PER_ROW], strict=False):
            spec = page_of_kind(col.kind)
            if spec is None:
                continue
            cell.page_link(spec.path, label=col.key, icon=spec.icon, width="stretch",
                           query_params=_layer_query(spec, col.key),
                           help=t("overview.net.link_help", key=col.key, page=t(spec.title_key)))


def header(ctx: PageContext) -> None:
    """The title, what this model does, and the image and weights choices."""
    st.title(t("overview.title"))
    st.markdown(t("app.tagline") + " " + (t("overview.intro_imagenet", title=ctx.title)
                                          if ctx.is_imagenet else t("overview.intro")))
    image_picker()
    own_weights_uploader()
    upload_boxes_in_language()  # both boxes above, once


def preprocessing(ctx: PageContext, image: PreparedImage) -> None:
    """The file as it came and each step that turned it into the model's input."""
    st.subheader(t("overview.steps_imagenet", crop=ctx.spec.crop) if ctx.spec is not None else t("overview.steps"))
    st.caption(t("overview.file_info", name=image.name, format=image.format, mode=image.mode,
                 w=image.size[0], h=image.size[1]))
    for note in image.notes:
        st.caption(t(f"note.{note}"))
    cols = st.columns(len(image.steps))
    for col, step in zip(cols, image.steps, strict=False):
        label = t(f"step.{step.key}", **step.params)
        col.image(crisp(step.image), caption=label if step.applied else t("step.skipped", step=label),
                  width="stretch", clamp=True)
    with st.expander(t("common.why")):
        if ctx.spec is None:
            st.markdown(t("overview.steps_help", mean=MEAN, std=STD))
        else:
            st.markdown(t("overview.steps_help_imagenet", resize=ctx.spec.resize, crop=ctx.spec.crop,
                          mean=ctx.spec.mean, std=ctx.spec.std))


def prediction(ctx: PageContext, tr: Trace) -> None:
    """The top classes and how the model was trained (its card)."""
    st.subheader(t("overview.prediction"))
    k = TOP_K[ctx.family]
    top = tr.top(k)
    st.plotly_chart(top_k_bar([class_name(c) for c, _ in top], [p for _, p in top],
                              title=t("overview.topk", k=k, model=ctx.title)),
                    width="stretch")
    st.caption(t("overview.zoo_out_of_domain" if ctx.is_imagenet else "overview.out_of_domain"))
    if ctx.info is not None and ctx.is_imagenet and "top1" in ctx.info.card.get("accuracy", {}):
        card = ctx.info.card
        st.markdown(t("overview.zoo_card", title=ctx.info.title, top1=card["accuracy"]["top1"],
                      top5=card["accuracy"]["top5"], params=card.get("num_params") or 0,
                      gflops=card.get("gflops") or 0.0,
                      file=ctx.info.path.name if ctx.info.path else ctx.model_name))
    elif ctx.info is not None and "data" in ctx.info.card:
        card = ctx.info.card
        st.markdown("**" + t("overview.card") + "** · " + t(
            "overview.card_text", train=card["data"]["train_size"], val=card["data"]["val_size"],
            epochs=card["epochs"], test=card["data"]["test_size"], acc=ctx.info.test_accuracy,
            opt=_optimizer_text(card)))


def architecture(ctx: PageContext, tr: Trace, image: PreparedImage) -> None:
    """Every layer's kind, output shape, parameters and mean activation; links to the pages of its kinds."""
    st.subheader(t("overview.architecture"))
    rows = state.get_layer_table(ctx.model_name, image.digest, tr)
    st.dataframe(
        [{t("overview.col.layer"): r.key, t("overview.col.kind"): r.kind,
          t("overview.col.shape"): str(list(r.out_shape)), t("overview.col.params"): r.n_params,
          t("overview.col.mean"): round(r.act.mean, 4)} for r in rows],
        hide_index=True, width="stretch",
    )
    size_kb = ctx.info.path.stat().st_size / 1024 if ctx.info is not None and ctx.info.path else 0.0
    st.caption(t("overview.total_params", n=total_params(rows), kb=size_kb))
    st.markdown(t("overview.explore"))
    specs = pages_of_kinds({r.kind for r in rows})
    for start in range(0, len(specs), 2):  # two per row: whole titles, never cut ("Activation funct…")
        link_cols = st.columns(2)
        for col, spec in zip(link_cols, specs[start:start + 2], strict=False):
            col.page_link(spec.path, label=t(spec.title_key), icon=spec.icon, width="stretch")


def main(ctx: PageContext) -> None:
    header(ctx)
    image = ctx.image
    if image is None:
        return
    tr = state.trace_for(ctx.model_name, image)
    network_at_a_glance(ctx, tr, image)
    preprocessing(ctx, image)
    left, right = st.columns([2, 3])
    with left:
        prediction(ctx, tr)
    with right:
        architecture(ctx, tr, image)


main(page_context())
