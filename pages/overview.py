"""Overview: choose the image, see the preprocessing, the prediction and the architecture."""

from __future__ import annotations

import streamlit as st

from explain.imaging import MEAN, STD
from ui import state
from ui.figures.overview import top_k_bar
from ui.i18n import class_name, t
from ui.nav import KIND_PAGE, existing_pages
from ui.picker import image_picker
from ui.sidebar import page_context
from ui.weights import own_weights_uploader

ctx = page_context()
st.title(t("overview.title"))
st.markdown(t("app.tagline") + " " + (t("overview.intro_imagenet", title=ctx.title)
                                      if ctx.is_imagenet else t("overview.intro")))
image_picker()
own_weights_uploader()


image = ctx.image
if image is None:
    st.stop()

st.subheader(t("overview.steps_imagenet", crop=ctx.spec.crop) if ctx.spec is not None else t("overview.steps"))
st.caption(t("overview.file_info", name=image.name, format=image.format, mode=image.mode,
             w=image.size[0], h=image.size[1]))
for note in image.notes:
    st.caption(t(f"note.{note}"))
cols = st.columns(len(image.steps))
for col, step in zip(cols, image.steps, strict=False):
    label = t(f"step.{step.key}", **step.params)
    col.image(step.image, caption=label if step.applied else t("step.skipped", step=label), width="stretch",
              clamp=True)
with st.expander(t("common.why")):
    if ctx.spec is None:
        st.markdown(t("overview.steps_help", mean=MEAN, std=STD))
    else:
        st.markdown(t("overview.steps_help_imagenet", resize=ctx.spec.resize, crop=ctx.spec.crop,
                      mean=ctx.spec.mean, std=ctx.spec.std))

tr = state.trace_for(ctx.model_name, image)
left, right = st.columns([2, 3])
with left:
    st.subheader(t("overview.prediction"))
    k = 5 if ctx.is_imagenet else 3
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
            epochs=card["epochs"], opt=card["optimizer"], test=card["data"]["test_size"], acc=ctx.info.test_accuracy))
with right:
    st.subheader(t("overview.architecture"))
    rows = state.get_layer_table(ctx.model_name, image.digest, tr)
    st.dataframe(
        [{t("overview.col.layer"): r.key, t("overview.col.kind"): r.kind,
          t("overview.col.shape"): str(list(r.out_shape)), t("overview.col.params"): r.n_params,
          t("overview.col.mean"): round(r.act.mean, 4)} for r in rows],
        hide_index=True, width="stretch",
    )
    size_kb = ctx.info.path.stat().st_size / 1024 if ctx.info is not None and ctx.info.path else 0.0
    st.caption(t("overview.total_params", n=sum(r.n_params for r in rows), kb=size_kb))
    st.markdown(t("overview.explore"))
    linked = {KIND_PAGE[r.kind] for r in rows if r.kind in KIND_PAGE}
    link_cols = st.columns(max(1, len(linked)))
    for col, spec in zip(link_cols, [p for p in existing_pages() if p.path in linked], strict=False):
        col.page_link(spec.path, label=t(spec.title_key), icon=spec.icon)
