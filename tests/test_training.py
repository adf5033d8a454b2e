"""The training lab's trainer and the shift-sensitivity functions, against independent references."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import models
from explain import shift, training
from explain.training import EpochStats, Trainer, TrainSettings
from models.arch import MLP, TinyVGG
from tests.helpers import expected_colour, fashion_mnist_present, picture_cell


@pytest.fixture(scope="module")
def dataset() -> tuple[torch.Tensor, torch.Tensor, str]:
    """Fashion-MNIST's training split (a missing data set fails, see tests.helpers.fashion_mnist_present), or
    with the explicit opt-out the 256 committed test images the lab falls back to."""
    present = fashion_mnist_present()
    images, labels, source = models.train_images()
    assert source == ("fashion-mnist" if present else "samples")
    if present:
        assert len(labels) == 60_000
    return images, labels, source


def _split(dataset, **kw):  # noqa: ANN001, ANN202
    images, labels, source = dataset
    settings = TrainSettings(**{"n_images": 200, "epochs": 2, "batch_size": 32, **kw})
    return settings, training.split_data(images, labels, settings, source=source, min_images=200)


def _curve(p: training.Progress) -> list[tuple[float, float, float, float]]:
    return [(h.train_loss, h.train_acc, h.val_loss, h.val_acc) for h in p.history]


def test_seeded_run_is_reproducible_and_learns(dataset) -> None:  # noqa: ANN001
    settings, split = _split(dataset, seed=3)
    first = Trainer(settings, split, step_sleep=0).run()
    second = Trainer(settings, training.split_data(dataset[0], dataset[1], settings, dataset[2]), step_sleep=0).run()
    assert first.status == second.status == "done"
    assert len(first.history) == 2
    assert _curve(first) == _curve(second)  # bit-identical: every random draw is seeded locally
    assert all((a == b).all() for a, b in zip(first.kernels, second.kernels, strict=True))
    assert first.history[-1].val_acc > 0.3  # chance is 0.1
    other = Trainer(TrainSettings(**{**settings.__dict__, "seed": 4, "epochs": 1}), split, step_sleep=0).run()
    assert _curve(other)[0] != _curve(first)[0]
    # the kernels shown per epoch are the real first-layer weights: initial + one per epoch
    assert len(first.kernels) == 3 and first.kernels[0].shape == (16, 3, 3)
    assert not (first.kernels[0] == first.kernels[-1]).all()


def test_curves_are_the_models_own_losses(dataset) -> None:  # noqa: ANN001
    settings, split = _split(dataset, epochs=1, dropout=0.3)
    tr = Trainer(settings, split, step_sleep=0)
    p = tr.run()
    model = tr.model()
    assert isinstance(model.dropout, nn.Dropout) and not model.training
    with torch.no_grad():
        logits = model(split.x_val)
    assert p.history[-1].val_loss == pytest.approx(float(F.cross_entropy(logits, split.y_val)), rel=1e-5)
    assert p.history[-1].val_acc == pytest.approx(float((logits.argmax(1) == split.y_val).float().mean()))
    assert torch.equal(model.block1.conv1.weight[:, 0], torch.from_numpy(p.kernels[-1]))
    card = tr.card()
    assert card["data"]["train_size"] == len(split.y_train) and card["epochs"] == 1
    assert card["parameters"] == sum(q.numel() for q in model.parameters())


def test_cancellation_stops_promptly(dataset) -> None:  # noqa: ANN001
    images, labels, source = dataset
    n = min(2000, len(labels))
    settings = TrainSettings(n_images=n, epochs=20, batch_size=16)
    tr = Trainer(settings, training.split_data(images, labels, settings, source, min_images=200))
    tr.start()
    deadline = time.time() + 20
    while tr.progress().step < 2 and time.time() < deadline:
        time.sleep(0.02)
    assert tr.progress().status == "running"
    assert training.active_runs() >= 1
    t0 = time.perf_counter()
    tr.stop()
    assert tr.join(timeout=5)
    assert time.perf_counter() - t0 < 2
    p = tr.progress()
    assert p.status == "stopped" and p.epoch < 20
    assert training.active_runs() == 0


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.35, 1.0])
def test_label_noise_fraction(fraction: float) -> None:
    labels = torch.arange(1000) % 10
    noisy, mask = training.add_label_noise(labels, fraction, torch.Generator().manual_seed(0))
    changed = noisy != labels
    assert int(changed.sum()) == round(fraction * 1000)
    assert torch.equal(changed, mask)
    assert noisy.min() >= 0 and noisy.max() <= 9


def test_split_keeps_validation_clean(dataset) -> None:  # noqa: ANN001
    settings, split = _split(dataset, label_noise=0.25, val_ratio=0.2)
    assert len(split.y_val) == round(settings.n_images * 0.2)
    assert len(split.y_train) + len(split.y_val) == settings.n_images
    assert split.noise_fraction == pytest.approx(round(0.25 * len(split.y_train)) / len(split.y_train))
    assert torch.equal(split.y_train[~split.noisy], split.y_train_clean[~split.noisy])


def test_bad_settings_are_refused() -> None:
    for kw in ({"n_images": 50}, {"epochs": 0}, {"lr": 0.0}, {"optimizer": "rmsprop"}, {"label_noise": 1.5},
               {"dropout": 1.0}, {"val_ratio": 0.9}):
        with pytest.raises(training.TrainingError):
            TrainSettings(**kw).validate(60000)


def test_optimizers_follow_their_update_rules() -> None:
    """One step of each optimizer against the formula written out by hand."""
    for name in training.OPTIMIZERS:
        w = nn.Parameter(torch.tensor([1.0, -2.0]))
        s = TrainSettings(optimizer=name, lr=0.1)
        opt = training.make_optimizer(s, [w])
        for _ in range(2):
            opt.zero_grad()
            (w ** 2).sum().backward()  # g = 2w
            opt.step()
        w0 = torch.tensor([1.0, -2.0])
        if name == "sgd":
            w1 = w0 - 0.1 * 2 * w0
            ref = w1 - 0.1 * 2 * w1
        elif name == "momentum":
            v = 2 * w0
            w1 = w0 - 0.1 * v
            v = 0.9 * v + 2 * w1
            ref = w1 - 0.1 * v
        else:  # Adam with bias correction, β = (0.9, 0.999), ε = 1e-8
            ref, m, v = w0.clone(), torch.zeros(2), torch.zeros(2)
            for t in (1, 2):
                g = 2 * ref
                m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g ** 2
                ref = ref - 0.1 * (m / (1 - 0.9 ** t)) / ((v / (1 - 0.999 ** t)).sqrt() + 1e-8)
        assert torch.allclose(w.detach(), ref, atol=1e-4), name


def test_overfitting_rule() -> None:
    def h(e: int, tl: float, ta: float, vl: float, va: float) -> EpochStats:
        return EpochStats(e, tl, ta, vl, va, 0.0)

    healthy = [h(1, 1.0, 0.6, 1.0, 0.6), h(2, 0.8, 0.7, 0.8, 0.68), h(3, 0.6, 0.75, 0.7, 0.72)]
    assert training.overfitting(healthy).epoch is None
    rising = [*healthy, h(4, 0.5, 0.76, 0.75, 0.73), h(5, 0.4, 0.77, 0.8, 0.73)]
    o = training.overfitting(rising)
    assert o.epoch == 3 and o.loss_rule and not o.gap_rule
    gap = [*healthy, h(4, 0.4, 0.9, 0.7, 0.8)]
    o = training.overfitting(gap)
    assert o.epoch == 4 and o.gap_rule and o.gap_pp == pytest.approx(10.0)


def test_train_and_eval_modes_with_and_without_dropout() -> None:
    torch.manual_seed(0)
    base = TinyVGG("relu").eval()
    x = torch.randn(1, 1, 28, 28)
    plain = training.compare_modes(base, x)
    assert plain.dependent == ()
    assert plain.train_diff == 0 and plain.eval_diff == 0 and plain.train_eval_diff == 0
    dropped = training.with_dropout(base, 0.5)
    assert not base.training and base.dropout is None  # the given model is untouched
    cmp = training.compare_modes(dropped, x)
    assert cmp.dependent == ("dropout",)
    assert cmp.train_diff > 0  # two train-mode forwards draw two masks
    assert cmp.eval_diff == 0  # eval mode: dropout is the identity ...
    with torch.no_grad():
        assert torch.equal(cmp.eval_logits[0], base(x)[0])  # ... so the model equals the one without dropout
    assert not dropped.training
    bn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert training.mode_dependent_modules(bn) == ("1",)


def test_mode_comparison_summaries_against_the_models_own_forward() -> None:
    """What the lab shows of a comparison: the kinds that depend on the mode, the top classes of the model's own
    (eval) prediction, and the largest change, each against a plain forward."""
    torch.manual_seed(1)
    base = TinyVGG("relu").eval()
    x = torch.randn(1, 1, 28, 28)
    with torch.no_grad():
        own = torch.softmax(base(x)[0], 0)
    cmp = training.compare_modes(training.with_dropout(base, 0.5), x)
    assert cmp.top_classes(3) == [int(i) for i in torch.argsort(own, descending=True)[:3]]
    assert cmp.largest_diff == max(cmp.train_diff, cmp.train_eval_diff) > 0
    plain = training.compare_modes(base, x)
    assert plain.largest_diff == 0 and training.mode_dependent_kinds(base) == ()
    both = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.1), nn.BatchNorm2d(2))
    assert training.mode_dependent_kinds(both) == ("BatchNorm2d", "Dropout")


def test_subset_bounds_are_the_ones_the_settings_accept() -> None:
    for available in (150, 256, 5_000, 60_000):
        lo, hi = training.subset_range(available)
        assert (lo, hi) == (min(200, min(10_000, available)), min(10_000, available))
        for n in (lo, hi):
            TrainSettings(n_images=n).validate(available)  # accepted
        with pytest.raises(training.TrainingError):
            TrainSettings(n_images=hi + 1).validate(available)


def test_noisy_label_count_and_accuracy_drop() -> None:
    x, y = models.test_batch()
    settings = TrainSettings(n_images=200, label_noise=0.3)
    split = training.split_data(x, y, settings, "samples", min_images=200)
    assert split.n_noisy == int((split.y_train != split.y_train_clean).sum()) == round(0.3 * len(split.y_train))
    assert training.accuracy_drop_pp((0.9, 0.7, 0.41)) == pytest.approx(49.0)
    assert training.accuracy_drop_pp([0.5, 0.6]) == pytest.approx(-10.0)


def test_other_runs_leave_out_the_sessions_own() -> None:
    x, y = models.test_batch()
    settings = TrainSettings(n_images=200, epochs=1, batch_size=64)
    split = training.split_data(x, y, settings, "samples", min_images=200)
    before = training.active_runs()
    assert training.other_runs(None) == before
    done = Trainer(settings, split, step_sleep=0)
    done.run()  # finished: not running, so it is not taken off
    assert training.other_runs(done) == training.active_runs() == before
    running = Trainer(TrainSettings(n_images=200, epochs=5, batch_size=64), split, step_sleep=0.2)  # ≥ 3 s
    running.start()
    try:
        deadline = time.monotonic() + 10
        while running.progress().status != "running" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert training.active_runs() == before + 1
        assert training.other_runs(running) == before and training.other_runs(done) == before + 1
    finally:
        running.stop()
        running.join(timeout=30)


def test_seeded_dropout_matches_inverted_dropout() -> None:
    d = training.SeededDropout(0.25, torch.Generator().manual_seed(0))
    x = torch.ones(10_000)
    y = d(x)
    assert set(torch.unique(y).tolist()) <= {0.0, float(torch.tensor(1.0) / 0.75)}
    assert (y == 0).float().mean() == pytest.approx(0.25, abs=0.02)
    d.eval()
    assert torch.equal(d(x), x)


# --- shift sensitivity -------------------------------------------------------------------------------

def _bordered(seed: int = 0) -> torch.Tensor:
    """An image whose 4-pixel border is background, so shifting equals rolling."""
    g = torch.Generator().manual_seed(seed)
    x = torch.full((1, 1, 28, 28), shift.BACKGROUND)
    x[..., 4:24, 4:24] = torch.randn(1, 1, 20, 20, generator=g)
    return x


def test_shift_equals_roll_on_a_bordered_image() -> None:
    x = _bordered()
    for dy, dx in [(0, 1), (0, -3), (2, 0), (-4, 0), (3, -2), (0, 0)]:
        assert torch.equal(shift.shift_image(x, dy, dx), torch.roll(x, (dy, dx), dims=(-2, -1)))


def test_shift_fills_entering_pixels_with_background() -> None:
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    out = shift.shift_image(x, 0, 1, fill=-1.0)
    assert torch.equal(out[..., :, 0], torch.full((1, 1, 4), -1.0))
    assert torch.equal(out[..., :, 1:], x[..., :, :3])
    assert torch.equal(shift.shift_image(x, 5, 0, fill=0.0), torch.zeros_like(x))


def test_shift_sensitivity_against_rolled_forwards() -> None:
    torch.manual_seed(1)
    model = TinyVGG("relu").eval()
    x = _bordered(1)
    res = shift.shift_sensitivity(model, x, max_shift=3)
    with torch.no_grad():
        p0 = torch.softmax(model(x), 1)[0]
        c = int(p0.argmax())
        assert res.original_class == c
        for d, name in enumerate(res.directions):
            dy, dx = shift.DIRECTIONS[name]
            for s in res.shifts:
                p = torch.softmax(model(torch.roll(x, (dy * s, dx * s), dims=(-2, -1))), 1)[0]
                assert res.prob[d][s] == pytest.approx(float(p[c]), abs=1e-6)
                assert res.pred[d][s] == int(p.argmax())
                assert res.flipped[d][s] == (int(p.argmax()) != c)


def test_accuracy_vs_shift_against_a_loop() -> None:
    x, y = models.test_batch()
    x, y = x[:40], y[:40]
    model = models.load("tinyvgg-relu")
    acc = shift.accuracy_vs_shift(model, x, y, max_shift=2)
    with torch.no_grad():
        base = model(x).argmax(1)
        ref_acc, ref_flip = [], []
        for s in (1, 2):
            preds = [model(torch.stack([shift.shift_image(xi, dy * s, dx * s) for xi in x])).argmax(1)
                     for dy, dx in (shift.DIRECTIONS["right"], shift.DIRECTIONS["down"])]
            ref_acc.append(sum(float((p == y).float().mean()) for p in preds) / 2)
            ref_flip.append(sum(float((p != base).float().mean()) for p in preds) / 2)
    assert acc.accuracy[0] == pytest.approx(float((base == y).float().mean()))
    assert acc.accuracy[1:] == pytest.approx(tuple(ref_acc))
    assert acc.flip_rate[1:] == pytest.approx(tuple(ref_flip))
    assert not model.training


def test_first_layer_weights() -> None:
    cnn, mlp = TinyVGG("relu"), MLP()
    name, w = shift.first_layer_weights(cnn)
    assert name == "block1.conv1" and torch.equal(w, cnn.block1.conv1.weight[:, 0])
    name, w = shift.first_layer_weights(mlp)
    assert name == "fc1" and w.shape == (256, 28, 28)
    # template k · image = the unit's pre-activation (minus bias): the row really is a 28x28 picture
    x = torch.randn(1, 1, 28, 28)
    assert torch.allclose((w[5] * x[0, 0]).sum() + mlp.fc1.bias[5], mlp.fc1(x.flatten(1))[0, 5], atol=1e-5)


def test_figures_show_the_data_and_stay_small() -> None:
    import numpy as np

    from ui.figures.training import curves_figure, templates_figure

    hist = [EpochStats(e, 1.0 / e, 0.5 + 0.1 * e, 0.8, 0.55, 0.0) for e in (1, 2, 3)]
    over = training.overfitting(hist)
    fig = curves_figure(hist, over, epochs=3, loss_title="L", acc_title="A", train_name="tr", val_name="va",
                        epoch_title="e", overfit_text="overfitting")
    assert list(fig.data[0].y) == [1.0, 0.5, 1 / 3] and list(fig.data[3].y) == [0.55] * 3
    assert over.epoch == 2 and len(fig.layout.shapes) == 2  # shaded on both panels
    w = MLP().fc1.weight.detach().reshape(-1, 28, 28)[:32].numpy()
    tfig = templates_figure(w, range_mode="layer")
    m = float(np.abs(w).max())
    assert (tfig.zmin, tfig.zmax) == pytest.approx((-m, m)) and len(tfig.origins) == 32
    for r, c in ((0, 0), (14, 9)):
        want = expected_colour(float(w[0, r, c]), -m, m, "RdBu_r")
        assert np.abs(picture_cell(tfig, 0, r, c) - want).max() <= 1
    assert len(tfig.png) < 300_000
