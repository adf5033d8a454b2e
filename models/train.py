"""Train one model of the family on Fashion-MNIST and write its weights and JSON card.

``python -m models.train --activation relu [--epochs N --seed S --out models/weights]``

Every variant is trained identically (same seed, split, data order, epochs, optimizer and schedule);
only the activation differs. The checkpoint kept is the epoch with the best validation accuracy.
Loss: cross-entropy L = −log softmax(z)_y, minimised with Adam and a cosine learning-rate schedule
η_t = η₀ · ½(1 + cos(π t / T)).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from models import data
from models.arch import ACTIVATIONS, MLP, TinyVGG


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "tinyvgg"
    activation: str = "relu"
    channels: tuple[int, int] = (16, 32)
    epochs: int = 12
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    val_size: int = 5000
    seed: int = 0
    threads: int = 0


def set_seed(seed: int) -> None:
    torch.manual_seed(seed)


def build(cfg: TrainConfig) -> nn.Module:
    if cfg.arch == "tinyvgg":
        return TinyVGG(cfg.activation, channels=cfg.channels)
    if cfg.arch == "mlp":
        return MLP(activation=cfg.activation)
    raise ValueError(f"unknown arch {cfg.arch!r}")


def model_name(cfg: TrainConfig) -> str:
    return f"tinyvgg-{cfg.activation}" if cfg.arch == "tinyvgg" else f"mlp-{cfg.activation}"


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000
) -> tuple[float, float, torch.Tensor]:
    """Mean cross-entropy, accuracy and the predictions over (x, y)."""
    model.eval()
    losses, preds = [], []
    for i in range(0, len(x), batch):
        logits = model(x[i:i + batch])
        losses.append(F.cross_entropy(logits, y[i:i + batch], reduction="sum"))
        preds.append(logits.argmax(1))
    pred = torch.cat(preds)
    return float(torch.stack(losses).sum()) / len(x), float((pred == y).float().mean()), pred


def confusion(pred: torch.Tensor, y: torch.Tensor, n: int = 10) -> list[list[int]]:
    """C[i][j] = number of test images of true class i predicted as j."""
    m = torch.zeros(n, n, dtype=torch.int64)
    m.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    return m.tolist()


def train(cfg: TrainConfig, out: Path, log=print) -> dict:  # noqa: ANN001 - log is a print-like callable
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    set_seed(cfg.seed)
    full, test = data.load("train"), data.load("test")
    gen = torch.Generator().manual_seed(cfg.seed)
    perm = torch.randperm(len(full.labels), generator=gen)
    val_idx, train_idx = perm[: cfg.val_size], perm[cfg.val_size:]
    x_all = data.normalize(full.images)
    x_tr, y_tr = x_all[train_idx], full.labels[train_idx]
    x_va, y_va = x_all[val_idx], full.labels[val_idx]
    x_te, y_te = data.normalize(test.images), test.labels

    set_seed(cfg.seed)
    model = build(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = (len(x_tr) + cfg.batch_size - 1) // cfg.batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs * steps_per_epoch)
    order_gen = torch.Generator().manual_seed(cfg.seed + 1)
    curves: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "lr")}
    best = (-1.0, 0, None)
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(x_tr), generator=order_gen)
        run_loss, run_correct, seen = 0.0, 0, 0
        for step in range(steps_per_epoch):
            idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            xb, yb = x_tr[idx], y_tr[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run_loss += float(loss.detach()) * len(idx)
            run_correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
            if step % 100 == 0:
                log(f"  epoch {epoch}/{cfg.epochs} step {step}/{steps_per_epoch} loss {float(loss):.4f}")
        val_loss, val_acc, _ = evaluate(model, x_va, y_va)
        curves["train_loss"].append(run_loss / seen)
        curves["train_acc"].append(run_correct / seen)
        curves["val_loss"].append(val_loss)
        curves["val_acc"].append(val_acc)
        curves["lr"].append(sched.get_last_lr()[0])
        log(f"epoch {epoch}: train loss {run_loss / seen:.4f} acc {run_correct / seen:.4f} · "
            f"val loss {val_loss:.4f} acc {val_acc:.4f} · {time.perf_counter() - t0:.0f}s")
        if val_acc > best[0]:
            best = (val_acc, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
    seconds = time.perf_counter() - t0
    model.load_state_dict(best[2])
    train_loss, train_acc, _ = evaluate(model, x_tr, y_tr)
    val_loss, val_acc, _ = evaluate(model, x_va, y_va)
    test_loss, test_acc, pred = evaluate(model, x_te, y_te)
    per_class = [float((pred[y_te == c] == c).float().mean()) for c in range(10)]
    name = model_name(cfg)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / f"{name}.pt")
    card = {
        "name": name,
        "arch": cfg.arch,
        "activation": cfg.activation,
        "config": asdict(cfg),
        "data": {
            "source": "Fashion-MNIST (Debian package dataset-fashion-mnist, idx files)",
            "train_size": len(train_idx), "val_size": len(val_idx), "test_size": len(y_te),
            "split": f"random {len(train_idx)}/{len(val_idx)} split of the 60,000 training images, seed {cfg.seed}",
            "normalization": {"mean": data.MEAN, "std": data.STD},
        },
        "optimizer": f"Adam(lr={cfg.lr}, weight_decay={cfg.weight_decay}), batch {cfg.batch_size}, "
                     f"cosine schedule to 0 over {cfg.epochs} epochs",
        "selection": "checkpoint of the epoch with the best validation accuracy",
        "why": "All variants share seed, split, data order, epochs, optimizer and schedule so that only the "
               "activation differs. The cosine schedule lets the last epochs settle instead of wandering as a "
               "constant learning rate does; the epoch is chosen on validation data, never on the test set.",
        "best_epoch": best[1],
        "epochs": cfg.epochs,
        "accuracy": {"train": train_acc, "val": val_acc, "test": test_acc},
        "loss": {"train": train_loss, "val": val_loss, "test": test_loss},
        "per_class_test_accuracy": per_class,
        "confusion_matrix": confusion(pred, y_te),
        "curves": curves,
        "training_seconds": round(seconds, 1),
        "parameters": sum(p.numel() for p in model.parameters()),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
    }
    (out / f"{name}.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    log(f"{name}: test accuracy {test_acc:.4f} (best epoch {best[1]}), wrote {out / name}.pt/.json")
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.train", description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=["tinyvgg", "mlp"], default="tinyvgg")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    p.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--lr", type=float, default=TrainConfig.lr)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "weights")
    a = p.parse_args(argv)
    cfg = TrainConfig(arch=a.arch, activation=a.activation, epochs=a.epochs, seed=a.seed, lr=a.lr, threads=a.threads)
    try:
        train(cfg, a.out, log=lambda m: print(m, flush=True))
    except data.DatasetMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
