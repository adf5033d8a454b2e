"""Live training of a small TinyVGG on a Fashion-MNIST subset, in a background thread that can be cancelled.

One optimisation step on a mini-batch B of the training split minimises the cross-entropy

    L(θ) = −(1/|B|) Σ_{i∈B} log softmax(f_θ(x_i))_{y_i}

with one of three update rules (g = ∇_θ L, η the learning rate):

* SGD:            θ ← θ − η g
* SGD + momentum: v ← μ v + g,  θ ← θ − η v   (μ = 0.9)
* Adam:           m ← β₁m + (1−β₁)g,  s ← β₂s + (1−β₂)g²,  θ ← θ − η m̂ / (√ŝ + ε)

After every epoch the model is evaluated (eval mode, no gradients) on the validation split and on up to
``TRAIN_EVAL_MAX`` training images, so both curves are the same measurement on different data.

Every random choice (subset, split, label noise, initial weights, batch order, dropout masks) draws from
``torch.Generator`` objects seeded from ``TrainSettings.seed``, never from the process-wide RNG, so the
same settings give the same curve even while other threads use torch. ``torch.set_num_threads`` is
process-wide and is not touched: the run stays small instead (bounded sizes, mini-batches, a cancel check
and a short sleep between steps so other sessions' work interleaves).
"""

from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models import data as fmnist
from models.arch import ACTIVATIONS, TinyVGG

Optimizer = Literal["sgd", "momentum", "adam"]
Status = Literal["idle", "running", "done", "stopped", "failed"]

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam")
MIN_IMAGES, MAX_IMAGES = 200, 10_000
MAX_EPOCHS = 20
TRAIN_EVAL_MAX = 2_000  # training images re-evaluated after each epoch
TEST_MAX = 2_000  # test images evaluated once at the end (when the test split is given)
MAX_CONCURRENT = 2  # training runs allowed at once in this process (shared CPU)
NUM_CLASSES = 10


class TrainingError(ValueError):
    """Settings or data that cannot be trained on (the message is shown to the user)."""


@dataclass(frozen=True)
class TrainSettings:
    """Everything that defines one run; the same settings always give the same curve."""

    activation: str = "relu"
    n_images: int = 1000  # subset size: training + validation
    val_ratio: float = 0.2
    epochs: int = 3
    lr: float = 1e-3
    optimizer: Optimizer = "adam"
    seed: int = 0
    label_noise: float = 0.0  # fraction of training labels replaced by a random other class
    dropout: float = 0.0  # nn.Dropout(p) before the classifier
    batch_size: int = 64

    def validate(self, available: int, min_images: int = MIN_IMAGES) -> None:
        if self.activation not in ACTIVATIONS:
            raise TrainingError(f"unknown activation {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            raise TrainingError(f"unknown optimizer {self.optimizer!r}")
        lo = min(min_images, available)
        if not lo <= self.n_images <= min(MAX_IMAGES, available):
            raise TrainingError(f"the subset must have {lo} to {min(MAX_IMAGES, available)} images")
        if not 0.05 <= self.val_ratio <= 0.5:
            raise TrainingError("the validation ratio must be between 0.05 and 0.5")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise TrainingError(f"epochs must be 1 to {MAX_EPOCHS}")
        if not (0 < self.lr <= 1 and math.isfinite(self.lr)):
            raise TrainingError("the learning rate must be in (0, 1]")
        if not 0 <= self.label_noise <= 1:
            raise TrainingError("label noise must be a fraction in [0, 1]")
        if not 0 <= self.dropout < 1:
            raise TrainingError("dropout must be in [0, 1)")
        if not 1 <= self.batch_size <= 256:
            raise TrainingError("the batch size must be 1 to 256")


@dataclass(frozen=True)
class DataSplit:
    """A seeded subset: training images (with possibly noisy labels) and clean validation images."""

    x_train: torch.Tensor  # float [n_train, 1, 28, 28], normalized
    y_train: torch.Tensor  # labels the model is trained on (after label noise)
    y_train_clean: torch.Tensor
    noisy: torch.Tensor  # bool [n_train]: label replaced
    x_val: torch.Tensor
    y_val: torch.Tensor
    source: str  # "fashion-mnist" or "samples"

    @property
    def noise_fraction(self) -> float:
        return float(self.noisy.float().mean()) if len(self.noisy) else 0.0

    @property
    def n_noisy(self) -> int:
        """How many training labels were replaced."""
        return int(self.noisy.sum())


def subset_range(available: int) -> tuple[int, int]:
    """(smallest, largest) subset the settings accept from ``available`` images: min(MIN_IMAGES, n_max) to
    n_max = min(MAX_IMAGES, available) (the same bounds as :meth:`TrainSettings.validate`)."""
    n_max = min(MAX_IMAGES, available)
    return min(MIN_IMAGES, n_max), n_max


def _as_normalized(images: torch.Tensor) -> torch.Tensor:
    if images.dtype == torch.uint8:
        return fmnist.normalize(images)
    return images.float() if images.dim() == 4 else images.float().unsqueeze(1)


def split_data(images: torch.Tensor, labels: torch.Tensor, settings: TrainSettings, source: str = "fashion-mnist",
               min_images: int = MIN_IMAGES) -> DataSplit:
    """Draw ``n_images`` at random (seeded), keep ``round(n·val_ratio)`` for validation, add label noise.

    ``images`` are uint8 [N, 28, 28] (normalized here, only the subset) or already normalized float
    [N, 1, 28, 28]. Label noise replaces exactly ``round(f · n_train)`` training labels, each by a class
    drawn uniformly from the 9 *other* classes, so the changed fraction is the requested one.
    """
    settings.validate(len(labels), min_images=min_images)
    gen = torch.Generator().manual_seed(settings.seed)
    idx = torch.randperm(len(labels), generator=gen)[: settings.n_images]
    n_val = max(1, round(settings.n_images * settings.val_ratio))
    val_idx, tr_idx = idx[:n_val], idx[n_val:]
    x_tr, y_tr = _as_normalized(images[tr_idx]), labels[tr_idx].long()
    x_va, y_va = _as_normalized(images[val_idx]), labels[val_idx].long()
    noisy_y, mask = add_label_noise(y_tr, settings.label_noise, gen)
    return DataSplit(x_tr, noisy_y, y_tr, mask, x_va, y_va, source)


def add_label_noise(labels: torch.Tensor, fraction: float, gen: torch.Generator,
                    num_classes: int = NUM_CLASSES) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace ``round(fraction·n)`` labels (chosen at random) by a random different class."""
    n = len(labels)
    k = round(fraction * n)
    mask = torch.zeros(n, dtype=torch.bool)
    out = labels.clone()
    if k == 0:
        return out, mask
    chosen = torch.randperm(n, generator=gen)[:k]
    offset = torch.randint(1, num_classes, (k,), generator=gen)  # 1..C-1: never the same class
    out[chosen] = (labels[chosen] + offset) % num_classes
    mask[chosen] = True
    return out, mask


class SeededDropout(nn.Module):
    """Inverted dropout with its own generator: keep each value with probability 1−p and scale by 1/(1−p).

    Used only while training so that dropout masks do not come from the shared process RNG; the model
    handed out afterwards has the ordinary ``nn.Dropout(p)`` in its place (no parameters are involved).
    """

    def __init__(self, p: float, gen: torch.Generator) -> None:
        super().__init__()
        self.p, self.gen = p, gen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.gen) >= self.p
        return x * keep / (1 - self.p)


def init_weights(model: nn.Module, gen: torch.Generator) -> None:
    """PyTorch's default init for Conv2d/Linear (Kaiming-uniform with a=√5, bias U(±1/√fan_in)), seeded."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=gen)
                if m.bias is not None:
                    fan_in = m.weight[0].numel()
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                    nn.init.uniform_(m.bias, -bound, bound, generator=gen)


def build_model(settings: TrainSettings, gen: torch.Generator) -> TinyVGG:
    model = TinyVGG(settings.activation, dropout=settings.dropout)
    init_weights(model, gen)
    return model


def make_optimizer(settings: TrainSettings, params: Any) -> torch.optim.Optimizer:
    if settings.optimizer == "sgd":
        return torch.optim.SGD(params, lr=settings.lr)
    if settings.optimizer == "momentum":
        return torch.optim.SGD(params, lr=settings.lr, momentum=0.9)
    return torch.optim.Adam(params, lr=settings.lr)


def optimizer_text(settings: TrainSettings) -> str:
    return {"sgd": f"SGD(lr={settings.lr:g})", "momentum": f"SGD(lr={settings.lr:g}, momentum=0.9)",
            "adam": f"Adam(lr={settings.lr:g})"}[settings.optimizer] + f", batch {settings.batch_size}"


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) over (x, y); the caller sets eval mode."""
    if len(y) == 0:
        return float("nan"), float("nan")
    loss, correct = 0.0, 0
    for i in range(0, len(y), batch):
        logits = model(x[i:i + batch])
        loss += float(F.cross_entropy(logits, y[i:i + batch], reduction="sum"))
        correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    return loss / len(y), correct / len(y)


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float


@dataclass(frozen=True)
class Overfit:
    """Where the gap between training and validation opens (``epoch`` None: not yet).

    Rule: from epoch e on, either the validation loss has risen for 2 epochs in a row while the training
    loss fell over the same 2 epochs, or training accuracy exceeds validation accuracy by more than
    ``gap_pp`` percentage points (default 5).
    """

    epoch: int | None
    loss_rule: bool  # val loss up 2 epochs while train loss down
    gap_rule: bool  # accuracy gap above the threshold at the last epoch
    gap_pp: float  # train − val accuracy at the last epoch, in percentage points


def accuracy_drop_pp(accuracy: tuple[float, ...] | list[float]) -> float:
    """How far an accuracy curve falls from its first to its last point, in percentage points: 100·(a₀ − a_last)."""
    return 100 * (accuracy[0] - accuracy[-1])


def overfitting(history: tuple[EpochStats, ...] | list[EpochStats], gap_pp: float = 5.0) -> Overfit:
    """Apply the rule of :class:`Overfit` to the curves so far; ``epoch`` is where it first fired.

    For the loss rule the onset is the epoch of the validation-loss minimum (two epochs before it fired).
    """
    first: int | None = None
    by_loss = by_gap = False
    for i, h in enumerate(history):
        by_loss = (i >= 2 and h.val_loss > history[i - 1].val_loss > history[i - 2].val_loss
                   and h.train_loss < history[i - 1].train_loss < history[i - 2].train_loss)
        by_gap = (h.train_acc - h.val_acc) * 100 > gap_pp
        if first is None and (by_loss or by_gap):
            first = history[i - 2].epoch if by_loss else h.epoch
    last_gap = (history[-1].train_acc - history[-1].val_acc) * 100 if history else 0.0
    return Overfit(first, by_loss, by_gap, last_gap)


@dataclass(frozen=True)
class Progress:
    """A snapshot of a run, safe to read from another thread."""

    status: Status
    epoch: int  # completed epochs
    epochs: int
    step: int  # steps done in the current epoch
    steps: int  # steps per epoch
    history: tuple[EpochStats, ...]
    kernels: tuple[np.ndarray, ...]  # first-layer kernels [C, 3, 3] at init (index 0) and after every epoch
    elapsed: float
    error: str | None = None
    test: tuple[float, float] | None = None  # (loss, accuracy) on the test images, when finished
    timed_out: bool = False  # stopped by the trainer's time limit rather than by the user

    @property
    def fraction(self) -> float:
        total = self.epochs * max(self.steps, 1)
        return min(1.0, (self.epoch * max(self.steps, 1) + self.step) / total) if total else 0.0

    @property
    def kernel_max(self) -> float:
        """max |w| over every epoch's kernels: one fixed colour scale for all epochs."""
        return max((float(np.abs(k).max()) for k in self.kernels), default=1.0) or 1.0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped", "failed")


_active_lock = threading.Lock()
_active: set[int] = set()


def active_runs() -> int:
    """Training runs now going on in this process (all sessions)."""
    with _active_lock:
        return len(_active)


def other_runs(own: Trainer | None) -> int:
    """Training runs going on in this process besides ``own`` (a session's run, replaced when it starts anew)."""
    return active_runs() - (1 if own is not None and own.progress().status == "running" else 0)


@dataclass
class Trainer:
    """One training run; ``start()`` runs it in a daemon thread, ``stop()`` cancels it at the next step."""

    settings: TrainSettings
    split: DataSplit
    test: tuple[torch.Tensor, torch.Tensor] | None = None
    step_sleep: float = 0.002  # seconds yielded between steps so that other threads get the CPU
    time_limit: float = 300.0  # seconds; the run stops itself after this (an abandoned session's run ends too)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _progress: Progress | None = field(default=None, repr=False)
    _model: TinyVGG | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        steps = math.ceil(len(self.split.y_train) / self.settings.batch_size)
        self._progress = Progress("idle", 0, self.settings.epochs, 0, steps, (), (), 0.0)

    # --- control -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a Trainer runs once; make a new one")
        self._thread = threading.Thread(target=self.run, name="cnn-lens-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def progress(self) -> Progress:
        with self._lock:
            assert self._progress is not None
            return self._progress

    def _update(self, **changes: Any) -> None:
        with self._lock:
            assert self._progress is not None
            self._progress = Progress(**{**self._progress.__dict__, **changes})

    # --- the run -------------------------------------------------------------------------------
    def run(self) -> Progress:
        """Train synchronously (the thread's target; tests may call it directly)."""
        with _active_lock:
            _active.add(id(self))
        try:
            self._train()
        except Exception as e:  # noqa: BLE001 - reported to the page, which shows it with st.error
            self._update(status="failed", error=f"{type(e).__name__}: {e}")
        finally:
            with _active_lock:
                _active.discard(id(self))
        return self.progress()

    def _train(self) -> None:
        s, sp = self.settings, self.split
        gen = torch.Generator().manual_seed(s.seed + 1)
        model = build_model(s, gen)
        if model.dropout is not None:
            real_dropout = model.dropout
            model.dropout = SeededDropout(s.dropout, torch.Generator().manual_seed(s.seed + 3))
        opt = make_optimizer(s, model.parameters())
        order_gen = torch.Generator().manual_seed(s.seed + 2)
        n_eval = min(len(sp.y_train), TRAIN_EVAL_MAX)
        t0 = time.perf_counter()
        kernels = [self._kernels(model)]
        history: list[EpochStats] = []
        steps = self.progress().steps
        self._update(status="running", kernels=tuple(kernels))
        for epoch in range(1, s.epochs + 1):
            model.train()
            order = torch.randperm(len(sp.y_train), generator=order_gen)
            for step in range(steps):
                if time.perf_counter() - t0 > self.time_limit:
                    self._update(timed_out=True)
                    self._cancel.set()
                if self._cancel.is_set():
                    break
                idx = order[step * s.batch_size:(step + 1) * s.batch_size]
                loss = F.cross_entropy(model(sp.x_train[idx]), sp.y_train[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                self._update(step=step + 1, elapsed=time.perf_counter() - t0)
                if self.step_sleep:
                    time.sleep(self.step_sleep)
            if self._cancel.is_set():
                break
            model.eval()
            tr_loss, tr_acc = evaluate(model, sp.x_train[:n_eval], sp.y_train[:n_eval])
            va_loss, va_acc = evaluate(model, sp.x_val, sp.y_val)
            history.append(EpochStats(epoch, tr_loss, tr_acc, va_loss, va_acc, time.perf_counter() - t0))
            kernels.append(self._kernels(model))
            self._update(epoch=epoch, step=0, history=tuple(history), kernels=tuple(kernels),
                         elapsed=time.perf_counter() - t0)
        if model.dropout is not None:
            model.dropout = real_dropout
        model.eval()
        self._model = model
        test = None
        if self.test is not None and history and not self._cancel.is_set():
            xt, yt = self.test
            test = evaluate(model, _as_normalized(xt[:TEST_MAX]), yt[:TEST_MAX].long())
        self._update(status="stopped" if self._cancel.is_set() else "done", test=test,
                     elapsed=time.perf_counter() - t0)

    @staticmethod
    def _kernels(model: TinyVGG) -> np.ndarray:
        w = model.block1.conv1.weight.detach()
        return w[:, 0].numpy().copy()

    # --- results -------------------------------------------------------------------------------
    def model(self) -> TinyVGG | None:
        """A copy of the trained model in eval mode (None before the run ended or without a full epoch)."""
        p = self.progress()
        if not p.finished or self._model is None or not p.history:
            return None
        return copy.deepcopy(self._model).eval()

    def card(self) -> dict[str, Any]:
        """The JSON card of the finished run, shaped like the committed models' cards."""
        p, s, sp = self.progress(), self.settings, self.split
        last = p.history[-1] if p.history else None
        acc: dict[str, float] = {}
        loss: dict[str, float] = {}
        if last is not None:
            acc.update(train=last.train_acc, val=last.val_acc)
            loss.update(train=last.train_loss, val=last.val_loss)
        if p.test is not None:
            loss["test"], acc["test"] = p.test
        n_test = min(TEST_MAX, len(self.test[1])) if self.test is not None and p.test is not None else 0
        model = self._model
        return {
            "name": f"lab-tinyvgg-{s.activation}",
            "arch": "tinyvgg",
            "activation": s.activation,
            "trained_in": "CNN Lens training lab (this session)",
            "config": asdict(s),
            "data": {
                "source": "Fashion-MNIST (Debian package dataset-fashion-mnist)" if sp.source == "fashion-mnist"
                else "the 256 committed sample test images (Fashion-MNIST not installed)",
                "train_size": len(sp.y_train), "val_size": len(sp.y_val), "test_size": n_test,
                "split": f"random subset of {s.n_images} images, {len(sp.y_val)} kept for validation, seed {s.seed}",
                "label_noise": {"fraction": sp.noise_fraction, "changed": int(sp.noisy.sum())},
                "normalization": {"mean": fmnist.MEAN, "std": fmnist.STD},
            },
            "optimizer": optimizer_text(s),
            "dropout": s.dropout,
            "status": p.status,
            "epochs": p.epoch,
            "accuracy": acc,
            "loss": loss,
            "curves": {
                "train_loss": [h.train_loss for h in p.history], "train_acc": [h.train_acc for h in p.history],
                "val_loss": [h.val_loss for h in p.history], "val_acc": [h.val_acc for h in p.history],
            },
            "training_seconds": round(p.elapsed, 1),
            "parameters": sum(q.numel() for q in model.parameters()) if model is not None else 0,
            "torch_version": torch.__version__,
        }


# --- train() versus eval() -------------------------------------------------------------------------

MODE_DEPENDENT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout,
                  nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, SeededDropout)


def mode_dependent_modules(model: nn.Module) -> tuple[str, ...]:
    """Names of the modules whose forward depends on ``model.training`` (dropout, batch norm)."""
    return tuple(name for name, m in model.named_modules() if isinstance(m, MODE_DEPENDENT))


def mode_dependent_kinds(model: nn.Module) -> tuple[str, ...]:
    """The class names of those modules, each once, sorted ("BatchNorm2d", "Dropout")."""
    return tuple(sorted({type(m).__name__ for m in model.modules() if isinstance(m, MODE_DEPENDENT)}))


def with_dropout(model: nn.Module, p: float) -> TinyVGG:
    """A new TinyVGG with the same weights as ``model`` and ``nn.Dropout(p)`` before the classifier."""
    if not isinstance(model, TinyVGG):
        raise TrainingError("dropout can only be inserted into a TinyVGG")
    out = TinyVGG(model.activation, channels=(model.block1.conv1.out_channels, model.block2.conv1.out_channels),
                  dropout=p)
    out.load_state_dict(model.state_dict())
    return out.eval()


@dataclass(frozen=True)
class ModeComparison:
    """Two forwards of one image in train mode and two in eval mode (logits [K] each)."""

    train_logits: tuple[torch.Tensor, torch.Tensor]
    eval_logits: tuple[torch.Tensor, torch.Tensor]
    dependent: tuple[str, ...]  # modules that behave differently in the two modes

    @property
    def train_diff(self) -> float:
        """max |z₁ − z₂| between the two train-mode forwards."""
        return float((self.train_logits[0] - self.train_logits[1]).abs().max())

    @property
    def eval_diff(self) -> float:
        return float((self.eval_logits[0] - self.eval_logits[1]).abs().max())

    @property
    def train_eval_diff(self) -> float:
        return float((self.train_logits[0] - self.eval_logits[0]).abs().max())

    @property
    def largest_diff(self) -> float:
        """max(train_diff, train_eval_diff): how far any forward moved from the first (0 for a model that behaves
        the same in both modes, up to rounding)."""
        return max(self.train_diff, self.train_eval_diff)

    def probabilities(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """softmax of the four forwards: train #1, train #2, eval #1, eval #2."""
        return tuple(torch.softmax(z, 0) for z in (*self.train_logits, *self.eval_logits))  # type: ignore[return-value]

    def top_classes(self, k: int) -> list[int]:
        """The ``k`` most probable classes of the first eval-mode forward (the model's own prediction), best first."""
        return [int(i) for i in torch.softmax(self.eval_logits[0], 0).topk(k).indices]


def dropout_p(model: nn.Module) -> float:
    """The largest dropout probability in ``model`` (0 without dropout)."""
    return max((float(m.p) for m in model.modules() if isinstance(m, (nn.Dropout, SeededDropout))), default=0.0)


def compare_modes(model: nn.Module, x: torch.Tensor, seed: int = 0) -> ModeComparison:
    """Run a private copy of ``model`` twice with ``.train()`` and twice with ``.eval()`` on ``x``.

    The caller's model is never touched (it may be shared). In train mode each forward draws a new dropout
    mask, so the two results differ when the model has dropout; in eval mode dropout is the identity and
    the results are equal. Dropout masks come from a local generator seeded with ``seed``. The eval-mode
    forwards run first, so they equal the caller's model's own output (batch norm's running averages are
    only updated afterwards, on the copy).
    """
    m = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(seed)
    for name, mod in list(m.named_modules()):
        if isinstance(mod, nn.Dropout) and mod.p > 0:
            parent = m.get_submodule(name.rpartition(".")[0]) if "." in name else m
            setattr(parent, name.rpartition(".")[2], SeededDropout(mod.p, gen))
    if x.dim() == 3:
        x = x.unsqueeze(0)
    with torch.no_grad():  # eval first: a train-mode forward updates batch norm's running averages (of the copy)
        m.eval()
        ev = (m(x)[0].clone(), m(x)[0].clone())
        m.train()
        tr = (m(x)[0].clone(), m(x)[0].clone())
    return ModeComparison(tr, ev, mode_dependent_modules(model))
