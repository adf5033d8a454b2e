"""Tensors & shapes: [N, C, H, W] through the network, indexing, embeddings, the code behind model and preprocessing."""

from __future__ import annotations

import streamlit as st
import torch
from PIL import Image

import models
from explain.imaging import PreparedImage
from explain.indexing import AxisStep, IndexParseError, IndexResult, index_tensor, panels_to_show
from explain.tensors import (
    SCORE_AXES,
    SUBJECTS,
    compose_check,
    compose_check_imagenet,
    embedding_demo,
    first_feature_map,
    image_embedding,
    model_source,
    nearest,
    photo_bank,
    sample_bank,
    shape_steps,
    star_demo,
    student_scores,
    tensor_choices,
)
from explain.trace import Trace
from ui import state
from ui.figures.maps import RangeMode
from ui.figures.tensors import embedding_strip, lookup_figure, selection_figure, shape_bars
from ui.i18n import class_name, t
from ui.picker import sample_label
from ui.sections import lazy_tabs
from ui.sidebar import PageContext, page_context

MAX_CELLS = 40_000  # feature-map figure: at most this many values drawn (3 channels of 112x112)
_NCHW_KEYS = tuple(f"tens.nchw.{axis}" for axis in "NCHW")  # catalog keys of the four axes


def index_error(err: IndexParseError) -> str:
    return t(f"tens.err.{err.code}", **err.params)


def step_rows(steps: tuple[AxisStep, ...], axis_name) -> list[dict[str, object]]:  # noqa: ANN001
    rows = []
    for s in steps:
        kept = s.positions
        what = t(f"tens.action.{s.action}", pos=kept[0] if kept else "-", n=len(kept),
                 positions=", ".join(str(p) for p in kept[:8]) + (" …" if len(kept) > 8 else ""))
        rows.append({
            t("tens.col.bracket"): s.subscript + 1, t("tens.col.item"): s.item,
            t("tens.col.axis"): axis_name(s.axis), t("tens.col.what"): what,
            t("tens.col.size"): f"{'-' if s.size_before is None else s.size_before} → "
                                f"{t('tens.gone') if s.size_after is None else s.size_after}",
        })
    return rows


def show_result(res: IndexResult) -> None:
    st.markdown(t("tens.result", expr=res.parsed.text, shape=list(res.shape), count=res.count,
                  total=res.mask.numel()))
    st.code(f"{res.parsed.text}\n{res.value}", language="python")


def fmnist_sample_bank(model: torch.nn.Module) -> tuple[torch.Tensor, tuple[int, ...], tuple[str, ...]]:
    """Embeddings of the committed samples for one model, labelled with their true class."""
    return sample_bank(model, [(p.name, p.read_bytes()) for p in models.samples()])


def photo_sample_bank(model: torch.nn.Module, spec) -> tuple[torch.Tensor, tuple[int, ...], tuple[str, ...]]:  # noqa: ANN001
    """ImageNet models: embeddings of the sample photos, labelled with the model's own prediction."""
    return photo_bank(model, [(p.name, p.read_bytes()) for p in models.photo_samples()], spec)


def _score_axis(axis: int | None) -> str:
    return t("tens.axis.new") if axis is None else f"{axis} · {t(f'tens.axis.{SCORE_AXES[axis]}')}"


def scores_section() -> None:
    """1. Indexing on the course's 2×3×4 example, and nn.Sequential(*layers) (no image needed)."""
    st.header(t("tens.scores.header"))
    A = student_scores()
    st.markdown(t("tens.scores.intro"))
    st.code("A = torch.tensor([[[83, 76, 89, 91], [78, 84, 79, 85], [89, 92, 87, 94]],\n"
            "                  [[91, 87, 92, 89], [85, 88, 87, 90], [90, 93, 91, 94]]])   # A.shape = "
            f"{list(A.shape)}", language="python")
    subjects = [t(f"tens.subject.{s}") for s in SUBJECTS]
    expr_a = st.text_input(t("tens.scores.input"), value="A[1][0][:]", key="tens_scores_expr", max_chars=200,
                           help=t("tens.input_help"))
    try:
        res_a = index_tensor(A, expr_a, names=("A", "x"))
    except IndexParseError as e:
        st.error(index_error(e))
        res_a = index_tensor(A, "A[1][0][:]", names=("A",))
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(selection_figure(A, res_a.mask, name="A", row_names=subjects,
                                         panel_names=[t("tens.student_n", n=i + 1) for i in range(A.shape[0])],
                                         title=t("tens.scores.fig", expr=res_a.parsed.text)), width="stretch")
    with right:
        show_result(res_a)
    st.dataframe(step_rows(res_a.steps, _score_axis), hide_index=True, width="stretch")
    with st.expander(t("tens.scores.notes_title")):
        st.markdown(t("tens.scores.notes", a1=index_tensor(A, "A[1][0][:]", ("A",)).value.tolist(),
                      a2=index_tensor(A, "A[:, 1, 1]", ("A",)).value.tolist(),
                      wrong=index_tensor(A, "A[1][1]", ("A",)).value.tolist()))

    # nn.Sequential(*layers)
    st.header(t("tens.star.header"))
    demo = star_demo()
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(t("tens.star.intro"))
        st.code(demo.code, language="python")
        st.code("print(*[1, 2, 3])   # = print(1, 2, 3)  →  1 2 3", language="python")
    with c2:
        st.caption(t("tens.star.ok", shape_in=list(demo.in_shape), shape_out=list(demo.out_shape)))
        st.code(demo.with_star, language="text")
        st.caption(t("tens.star.error"))
        st.code(demo.without_star_error, language="text")


def embedding_section() -> None:
    """2. Embeddings: a lookup table (no image needed)."""
    st.header(t("tens.emb.header"))
    emb = embedding_demo()
    st.markdown(t("tens.emb.intro"))
    e1, e2 = st.columns([3, 2])
    with e1:
        st.plotly_chart(lookup_figure(emb.table, emb.vocab, emb.ids, title=t("tens.emb.table", v=len(emb.vocab),
                                                                              d=emb.table.shape[1])), width="stretch")
    with e2:
        sentence = [emb.vocab[i] for i in emb.ids]
        st.code(f"emb = nn.Embedding({len(emb.vocab)}, {emb.table.shape[1]})\n"
                f"ids = torch.tensor({list(emb.ids)})   # {sentence}\n"
                f"emb(ids)   # shape {list(emb.vectors.shape)}\n{emb.vectors}", language="python")
        st.caption(t("tens.emb.onehot", diff=emb.one_hot_diff))
    with st.expander(t("tens.emb.why_title")):
        st.markdown(t("tens.emb.why"))


def flow_section(ctx: PageContext, tr: Trace) -> None:
    """3. The shapes through the network, each predicted from its layer's configuration; the model's code."""
    st.header(t("tens.flow.header"))
    steps = shape_steps(tr)
    st.markdown(t("tens.flow.intro", shape=list(tr.input.shape)))
    st.plotly_chart(shape_bars(["input", *[s.key for s in steps]],
                               [tuple(tr.input.shape), *[s.out_shape for s in steps]],
                               title=t("tens.flow.fig", model=ctx.model_name), y_title=t("tens.flow.elements")),
                    width="stretch")
    st.dataframe(
        [{t("tens.col.layer"): s.key, t("tens.col.kind"): s.kind, t("tens.col.in"): str(list(s.in_shape)),
          t("tens.col.out"): str(list(s.out_shape)), t("tens.col.why"): t(f"tens.rule.{s.rule}", **{
              k: (v[0] if isinstance(v, tuple) else v) for k, v in s.params.items()}),
          t("tens.col.formula"): s.formula, t("tens.col.check"): "✓" if s.matches else "✗"} for s in steps],
        hide_index=True, width="stretch",
    )
    st.caption(t("tens.flow.check", ok=sum(s.matches for s in steps), n=len(steps)))
    with st.expander(t("tens.code.title")):
        st.markdown(t("tens.code.intro"))
        st.code(model_source(ctx.model), language="python")
        st.caption(t("tens.code.repr"))
        st.code(repr(ctx.model), language="text")


def feature_map_section(tr: Trace) -> None:
    """4. Indexing the real feature maps with a typed expression."""
    st.header(t("tens.fm.header"))
    choices = tensor_choices(tr)
    keys = list(choices)
    default = first_feature_map(choices)
    layer = st.selectbox(t("tens.fm.layer"), keys, index=keys.index(default), key="tens_fm_layer",
                         format_func=lambda k: f"{k} · {list(choices[k].shape)}")
    x = choices[layer]
    st.markdown(t("tens.fm.intro", layer=layer, shape=list(x.shape), ndim=x.dim()))
    fc1, fc2 = st.columns([3, 1])
    expr = fc1.text_input(t("tens.fm.input"), value="x[0, 1]", key="tens_fm_expr", max_chars=200,
                          help=t("tens.input_help"))
    mode: RangeMode = fc2.radio(t("common.color_range"), ["layer", "map", "global"], key="tens_fm_range",
                                format_func=lambda m: t(f"common.range.{m}"), horizontal=False)
    st.caption(t("tens.fm.examples"))
    res: IndexResult | None
    try:
        res = index_tensor(x, expr, names=("x",))
    except IndexParseError as e:
        st.error(index_error(e))
        res = None
    if res is not None:
        fixed = float(x.abs().max()) or 1.0
        four = x.dim() == 4
        if four:  # large layers: only the channels holding the selection are drawn (bounded number of cells)
            shown = list(panels_to_show(res.mask[0], MAX_CELLS))
            if len(shown) < x.shape[1]:
                st.caption(t("tens.fm.partial", c=x.shape[1], h=x.shape[2], w=x.shape[3], n=len(shown),
                             channels=", ".join(str(c) for c in shown)))
            values, mask = x[0, shown], res.mask[0, shown]
        else:
            shown, values, mask = None, x, res.mask
        st.plotly_chart(selection_figure(values, mask, name="x[0]" if four else "x", range_mode=mode, fixed=fixed,
                                         panel_names=[f"c{c}" for c in shown] if shown is not None else None,
                                         panel_index=shown,
                                         title=t("tens.fm.fig", layer=layer, shape=list(x.shape),
                                                 expr=res.parsed.text)),
                        width="stretch")
        show_result(res)
        st.dataframe(step_rows(res.steps, lambda a: t("tens.axis.new") if a is None else
                               f"{a} · {t(_NCHW_KEYS[a]) if x.dim() == 4 else a}"),
                     hide_index=True, width="stretch")


def image_embedding_section(ctx: PageContext, tr: Trace) -> None:
    """5. The image embedding: the classifier's input, and the committed samples nearest to it."""
    st.header(t("tens.img_emb.header"))
    try:
        ie = image_embedding(tr)
    except ValueError:
        st.info(t("common.not_applicable", why=t("tens.img_emb.no_linear")))
    else:
        st.markdown(t("tens.img_emb.intro", layer=ie.layer, d=ie.vector.numel(),
                      source=list(ie.source_shape) if ie.source_shape else "-"))
        st.plotly_chart(embedding_strip(ie.vector, ie.source_shape, title=t("tens.img_emb.fig", d=ie.vector.numel()),
                                        channel_label=t("tens.img_emb.channel"),
                                        feature_label=t("tens.img_emb.feature")),
                        width="stretch")
        if ctx.is_imagenet:
            bank, labels, names = state.shared(photo_sample_bank, ctx.model, ctx.spec, scope=(ctx.model_name,))
        else:
            bank, labels, names = state.shared(fmnist_sample_bank, ctx.model, scope=(ctx.model_name,))
        near = nearest(ie.vector, bank, labels, names, k=5)
        st.markdown(t("tens.img_emb.table_photo" if ctx.is_imagenet else "tens.img_emb.table"))
        st.dataframe([{t("tens.col.rank"): i + 1, t("tens.col.sample"): sample_label(n.name),
                       t("tens.col.class"): class_name(n.label), t("tens.col.cos"): round(n.similarity, 4),
                       t("tens.col.same"): "✓" if n.label == tr.prediction else ""} for i, n in enumerate(near)],
                     hide_index=True, width="stretch")
        st.caption(t("tens.img_emb.caption_photo" if ctx.is_imagenet else "tens.img_emb.caption",
                     label=class_name(tr.prediction)))


def compose_section(ctx: PageContext, image: PreparedImage) -> None:
    """6. transforms.Compose: the app's preprocessing written as one pipeline, checked against the app's tensor."""
    st.header(t("tens.compose.header"))
    if ctx.is_imagenet:
        spec = ctx.spec
        upload = st.session_state.get(state.IMAGE_KEY) or {}
        if not upload.get("bytes"):
            st.info(t("common.not_applicable", why=t("tens.compose.no_bytes")))
            st.stop()
        # decoded once per (image, preprocessing), not per rerun
        check = ctx.shared(compose_check_imagenet, upload["bytes"], spec, image.tensor)
        st.markdown(t("tens.compose.intro_photo", resize=spec.resize, crop=spec.crop, mean=list(spec.mean),
                      std=list(spec.std)))
        st.code(check.code, language="python")
        st.code(f"x = preprocess_compose_imagenet(spec)(Image.open(file).convert('RGB')).unsqueeze(0)   # "
                f"{list(check.tensor.shape)}", language="python")
    else:
        check = compose_check(Image.fromarray(image.pixels), image.tensor)
        st.markdown(t("tens.compose.intro"))
        st.code(check.code, language="python")
        st.code("x = preprocess_compose()(Image.fromarray(pixels)).unsqueeze(0)   # "
                f"{list(check.tensor.shape)}", language="python")
    if check.same:
        st.success(t("tens.compose.same", diff=check.max_abs_diff))
    else:
        st.warning(t("tens.compose.differs", diff=check.max_abs_diff))
    with st.expander(t("common.why")):
        st.markdown(t("tens.compose.why_photo" if ctx.is_imagenet else "tens.compose.why"))


def _image_trace(ctx: PageContext) -> Trace:
    """The current image's trace, or the image prompt (and a stop) in this tab until there is an image."""
    ctx.require_image()
    return ctx.trace()


def main(ctx: PageContext) -> None:
    st.title(t("tens.title"))
    st.markdown(t("tens.intro"))

    lazy_tabs("tens_tab", [
        (t("tens.tab.indexing"), scores_section),
        (t("tens.tab.embedding"), embedding_section),
        (t("tens.tab.flow"), lambda: flow_section(ctx, _image_trace(ctx))),
        (t("tens.tab.maps"), lambda: feature_map_section(_image_trace(ctx))),
        (t("tens.tab.image_embedding"), lambda: image_embedding_section(ctx, _image_trace(ctx))),
        (t("tens.tab.compose"), lambda: compose_section(ctx, ctx.require_image())),
    ])

main(page_context())
