"""Training lab: train a TinyVGG live on a Fashion-MNIST subset; train() vs eval(); keep or download the model."""

from __future__ import annotations

import io
import json

import numpy as np
import streamlit as st
import torch

import models
from explain import training
from explain.imaging import PreparedImage
from explain.training import Trainer, TrainingError, TrainSettings
from models import data as fmnist
from models.arch import ACTIVATIONS, TinyVGG
from ui import state
from ui.figures.maps import as_numpy
from ui.figures.training import curves_figure, kernels_figure, mode_figure
from ui.i18n import class_name, t
from ui.mapview import show_maps
from ui.sidebar import PageContext, page_context, select_model

LRS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
TOP_MODES = 10  # ImageNet: classes shown in the train()/eval() figure (the top of eval mode)
MODES = [("train.mode_train", 1), ("train.mode_train", 2), ("train.mode_eval", 1), ("train.mode_eval", 2)]


def _mode_probs(cmp: training.ModeComparison, classes: list[int] | None = None) -> dict[str, np.ndarray]:
    """The four forwards' probabilities by their legend name ("train() #1" …), of ``classes`` or all."""
    return {t("train.fwd", mode=t(m), n=n): as_numpy(p if classes is None else p[classes])
            for (m, n), p in zip(MODES, cmp.probabilities(), strict=True)}


def zoo_modes_section(ctx: PageContext, image: PreparedImage) -> None:
    """ImageNet models have batch norm (and dropout): the four forwards on the current photo, top-10 classes."""
    cmp = ctx.shared(training.compare_modes, ctx.model, image.tensor, seed=0)  # a private copy, 4 forwards
    kinds = training.mode_dependent_kinds(ctx.model)
    st.caption(t("train.zoo_modes_dep", n=len(cmp.dependent), kinds=", ".join(kinds) or "-"))
    if cmp.dependent:
        st.markdown(t("train.zoo_modes_result", diff=cmp.train_eval_diff, train=cmp.train_diff, eval=cmp.eval_diff))
    else:
        st.markdown(t("train.modes_none", name=ctx.model_name, diff=cmp.largest_diff))
    top = cmp.top_classes(TOP_MODES)
    st.plotly_chart(mode_figure(_mode_probs(cmp, top), [class_name(i) for i in top],
                                title=t("train.zoo_modes_fig", k=TOP_MODES), y_title=t("common.probability")),
                    width="stretch")
    with st.expander(t("common.why")):
        st.markdown(t("train.modes_why"))


def _train_split() -> tuple[torch.Tensor, torch.Tensor, str]:
    """The training images and labels, shared by every session; the committed samples if missing."""
    return state.shared(models.train_images)


def _test_split() -> tuple[torch.Tensor, torch.Tensor] | None:
    """The test images the trainer reports on (None without the data set); read once via state.shared."""
    if not fmnist.available():
        return None
    s = fmnist.load("test")
    return s.images[: training.TEST_MAX], s.labels[: training.TEST_MAX]


def _start(settings: TrainSettings) -> None:
    old: Trainer | None = st.session_state.get(state.TRAINER_KEY)
    if old is not None:
        old.stop()
    images, labels, source = _train_split()
    split = training.split_data(images, labels, settings, source, min_images=training.MIN_IMAGES)
    trainer = Trainer(settings, split, test=state.shared(_test_split) if source == "fashion-mnist" else None)
    trainer.start()
    st.session_state[state.TRAINER_KEY] = trainer


def _keep(trainer: Trainer) -> None:
    """Button callback (runs before the script, so the sidebar's widget may still be set)."""
    model = trainer.model()
    if model is None:
        return
    name = state.add_session_model(model, trainer.card())
    st.session_state[state.KEPT_KEY] = {**st.session_state.get(state.KEPT_KEY, {}), id(trainer): name}
    select_model(name)


def _show_curves(p) -> None:  # noqa: ANN001 - a training.Progress snapshot
    """Loss/accuracy curves and the overfitting verdict (live and finished views)."""
    over = training.overfitting(p.history)
    st.plotly_chart(curves_figure(
        p.history, over, epochs=p.epochs, loss_title=t("train.loss"), acc_title=t("train.accuracy"),
        train_name=t("train.train"), val_name=t("train.val"), epoch_title=t("train.epoch"),
        overfit_text=t("train.overfit_label")), width="stretch")
    if p.history:
        if over.epoch is not None:
            st.warning(t("train.overfit_yes", epoch=over.epoch, gap=over.gap_pp))
        else:
            st.caption(t("train.overfit_no", gap=over.gap_pp))


def _show_progress(trainer: Trainer) -> None:
    p = trainer.progress()
    st.progress(p.fraction, text=t("train.progress", epoch=min(p.epoch + 1, p.epochs), epochs=p.epochs,
                                   step=p.step, steps=p.steps, seconds=p.elapsed))
    _show_curves(p)
    if p.kernels:
        last = len(p.kernels) - 1
        show_maps(kernels_figure(p.kernels[last], title=t("train.kernels", epoch=last)))


@st.fragment(run_every=1.0)
def _live(trainer: Trainer) -> None:
    """Redrawn every second while the run goes on; a full rerun draws the finished view."""
    st.button(t("train.stop"), on_click=trainer.stop, icon=":material/stop:", key="train_stop")
    _show_progress(trainer)
    if trainer.progress().finished:
        st.rerun()


def _show_finished(trainer: Trainer) -> None:
    p = trainer.progress()
    if p.status == "failed":
        st.error(t("train.status.failed", error=p.error or "?"))
        return
    if p.timed_out:
        st.warning(t("train.time_limit", seconds=trainer.time_limit))
    if p.status == "done":
        st.success(t("train.status.done", epochs=p.epoch, seconds=p.elapsed))
    else:
        st.info(t("train.status.stopped", epochs=p.epoch))
    _show_curves(p)
    with st.expander(t("common.why")):
        st.markdown(t("train.overfit_rule"))
        st.markdown(t("train.why"))
    if p.test is not None:
        st.markdown(t("train.test_acc", n=trainer.card()["data"]["test_size"], acc=p.test[1]))

    st.caption(t("train.kernels_help"))
    c1, c2 = st.columns([2, 3])
    epoch = c1.slider(t("train.kernel_epoch"), 0, len(p.kernels) - 1, len(p.kernels) - 1, key="train_kernel_epoch") \
        if len(p.kernels) > 1 else 0
    mode = c2.radio(t("common.color_range"), ["layer", "map", "global"], horizontal=True, key="train_kernel_range",
                    format_func=lambda m: t("train.range_fixed") if m == "global" else t(f"common.range.{m}"))
    show_maps(kernels_figure(p.kernels[epoch], title=t("train.kernels", epoch=epoch), range_mode=mode,
                             fixed=p.kernel_max))

    model = trainer.model()
    if model is None:
        st.info(t("train.no_epoch"))
        return
    kept = st.session_state.get(state.KEPT_KEY, {}).get(id(trainer))
    cols = st.columns(3)
    if kept is None:
        cols[0].button(t("train.keep"), help=t("train.keep_help"), on_click=_keep, args=(trainer,),
                       type="primary", icon=":material/add_circle:", key="train_keep")
    else:
        cols[0].success(t("train.kept", name=kept))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    card = {**trainer.card(), **({"name": kept} if kept else {})}
    stem = kept or card["name"]
    cols[1].download_button(t("train.download_pt"), buf.getvalue(), file_name=f"{stem}.pt",
                            mime="application/octet-stream", icon=":material/download:", key="train_dl_pt")
    cols[2].download_button(t("train.download_card"), json.dumps(card, indent=1, ensure_ascii=False),
                            file_name=f"{stem}.json", mime="application/json", icon=":material/description:",
                            key="train_dl_card")
    st.caption(t("train.download_help", act=trainer.settings.activation, p=trainer.settings.dropout))


def data_section() -> int:
    """Which images the lab trains on; returns how many there are."""
    _images, labels, source = _train_split()
    if source == "samples":
        st.warning(t("train.no_data", hint=fmnist.INSTALL_HINT))
    else:
        st.caption(t("train.data_full"))
    return len(labels)


def settings_form(available: int) -> TrainSettings | None:
    """The run's settings; the settings when the form was submitted, None otherwise."""
    n_min, n_max = training.subset_range(available)
    with st.form("train_form"):
        st.markdown("**" + t("train.settings") + "**")
        a, b, c = st.columns(3)
        activation = a.selectbox(t("train.activation"), ACTIVATIONS, key="train_act")
        n_images = a.slider(t("train.n_images"), n_min, n_max, min(1000, n_max), step=1 if n_max < 1000 else 100,
                            key="train_n")
        val_ratio = a.slider(t("train.val_ratio"), 0.05, 0.5, 0.2, 0.05, key="train_val")
        epochs = b.slider(t("train.epochs"), 1, training.MAX_EPOCHS, 5, key="train_epochs")
        optimizer = b.radio(t("train.optimizer"), training.OPTIMIZERS, index=2, key="train_opt",
                            format_func=lambda o: t(f"train.opt.{o}"), horizontal=True)
        lr = b.select_slider(t("train.lr"), LRS, value=0.001, key="train_lr")
        seed = c.number_input(t("train.seed"), 0, 9999, 0, key="train_seed", help=t("train.seed_help"))
        noise = c.slider(t("train.noise"), 0.0, 0.8, 0.0, 0.05, key="train_noise")
        dropout = c.slider(t("train.dropout"), 0.0, 0.8, 0.0, 0.1, key="train_dropout")
        submitted = st.form_submit_button(t("train.start"), type="primary", icon=":material/play_arrow:")
    if not submitted:
        return None
    return TrainSettings(activation=activation, n_images=int(n_images), val_ratio=float(val_ratio),
                         epochs=int(epochs), lr=float(lr), optimizer=optimizer, seed=int(seed),
                         label_noise=float(noise), dropout=float(dropout))


def start_run(settings: TrainSettings) -> None:
    """Start a run with ``settings`` unless the process already runs as many as it allows."""
    own: Trainer | None = st.session_state.get(state.TRAINER_KEY)
    others = training.other_runs(own)
    if others >= training.MAX_CONCURRENT:
        st.warning(t("train.busy", n=others))
        return
    try:
        _start(settings)
    except TrainingError as e:
        st.error(t("train.bad_settings", error=str(e)))


def run_section(trainer: Trainer) -> None:
    """The session's run: live while it goes on, the finished view afterwards."""
    sp = trainer.split
    st.caption(t("train.split_info", train=len(sp.y_train), val=len(sp.y_val), steps=trainer.progress().steps,
                 batch=trainer.settings.batch_size, noisy=sp.n_noisy))
    if trainer.progress().finished:
        _show_finished(trainer)
    else:
        _live(trainer)


def modes_section(ctx: PageContext, image: PreparedImage) -> None:
    """train() versus eval() on the current image: two forwards in each mode, with the model's dropout or a demo
    dropout added to a copy."""
    base = ctx.model
    if not isinstance(base, TinyVGG):
        st.info(t("common.not_applicable", why=t("train.not_tinyvgg")))
        return
    own_p = training.dropout_p(base)
    if own_p > 0:
        st.caption(t("train.modes_own", p=own_p))
        demo = base
    else:
        p_demo = st.slider(t("train.modes_add"), 0.0, 0.8, 0.0, 0.1, key="train_demo_p")
        demo = training.with_dropout(base, p_demo) if p_demo > 0 else base
    cmp = training.compare_modes(demo, image.tensor, seed=0)
    if cmp.dependent:
        st.caption(t("train.modes_dep", layers=", ".join(cmp.dependent)))
        st.markdown(t("train.modes_result", train=cmp.train_diff, eval=cmp.eval_diff))
    else:
        st.markdown(t("train.modes_none", name=ctx.model_name, diff=cmp.largest_diff))
    st.plotly_chart(mode_figure(_mode_probs(cmp), [class_name(i) for i in range(10)], title=t("train.modes_fig"),
                                y_title=t("common.probability")), width="stretch")
    with st.expander(t("common.why")):
        st.markdown(t("train.modes_why"))


def main(ctx: PageContext) -> None:
    st.title(t("train.title"))
    st.markdown(t("train.intro"))
    if ctx.is_imagenet:
        st.info(t("train.zoo_note", title=ctx.title))
    settings = settings_form(data_section())
    if settings is not None:
        start_run(settings)
    trainer: Trainer | None = st.session_state.get(state.TRAINER_KEY)
    if trainer is not None:
        run_section(trainer)
    st.header(t("train.modes"))
    st.markdown(t("train.modes_intro"))
    image = ctx.require_image()
    if ctx.is_imagenet:
        zoo_modes_section(ctx, image)
    else:
        modes_section(ctx, image)


main(page_context())
