"""Figures of the Training lab and the Plain network vs CNN pages (plain data in, plotly Figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explain.shift import ShiftAccuracy, ShiftResult
from explain.training import EpochStats, Overfit
from ui.figures.maps import MapImage, RangeMode, tiled_maps

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def curves_figure(history: Sequence[EpochStats], overfit: Overfit, *, epochs: int, loss_title: str,
                  acc_title: str, train_name: str, val_name: str, epoch_title: str, overfit_text: str = "",
                  height: int = 340) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch for the training and validation splits.

    The region from the overfitting onset on is shaded and labelled with ``overfit_text``.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(loss_title, acc_title), horizontal_spacing=0.1)
    ep = [h.epoch for h in history]
    for col, (tr, va) in enumerate(((lambda h: h.train_loss, lambda h: h.val_loss),
                                    (lambda h: h.train_acc, lambda h: h.val_acc)), start=1):
        fmt = ".4f" if col == 1 else ".1%"
        for name, fn, color, show in ((train_name, tr, TRAIN_COLOR, col == 1), (val_name, va, VAL_COLOR, col == 1)):
            fig.add_trace(go.Scatter(x=ep, y=[fn(h) for h in history], name=name, mode="lines+markers",
                                     line={"color": color}, legendgroup=name, showlegend=show,
                                     hovertemplate=f"{name} · {epoch_title} %{{x}}: %{{y:{fmt}}}<extra></extra>"),
                          row=1, col=col)
    x_range = [0.5, max(epochs, 1) + 0.5]
    fig.update_xaxes(title_text=epoch_title, range=x_range, dtick=1 if epochs <= 20 else None)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=2)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    if overfit.epoch is not None and history:
        for col in (1, 2):
            fig.add_vrect(x0=overfit.epoch, x1=x_range[1], fillcolor="#d62728", opacity=0.08, line_width=0,
                          row=1, col=col)
        fig.add_annotation(x=overfit.epoch, y=1.0, xref="x2", yref="y2 domain", text=overfit_text, showarrow=False,
                           xanchor="left", yanchor="top", font={"color": "#d62728"})
    fig.update_layout(height=height, margin={"l": 8, "r": 8, "t": 40, "b": 8},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def kernels_figure(kernels: np.ndarray, *, title: str = "", range_mode: RangeMode = "layer",
                   fixed: float = 1.0, label: str = "k") -> MapImage:
    """First-layer 3x3 kernels [C, 3, 3] as one picture on the diverging scale (weights are signed)."""
    k = np.asarray(kernels, dtype=np.float32)
    return tiled_maps(k, labels=[f"{label}{i}" for i in range(len(k))], title=title, range_mode=range_mode,
                      fixed=fixed, signed=True, cols=8, target_width=520)


def templates_figure(templates: np.ndarray, *, title: str = "", range_mode: RangeMode = "map",
                     label: str = "unit ") -> MapImage:
    """An MLP's first-layer rows as 28x28 templates, one picture on the diverging scale."""
    w = np.asarray(templates, dtype=np.float32)
    return tiled_maps(w, labels=[f"{label}{i}" for i in range(len(w))], title=title, signed=True,
                      range_mode=range_mode, cols=8, target_width=720)


def mode_figure(probs: Mapping[str, Sequence[float]], classes: Sequence[str], *, title: str = "",
                y_title: str = "") -> go.Figure:
    """Grouped bars: the class probabilities of each forward pass (train #1, train #2, eval #1, eval #2)."""
    fig = go.Figure()
    for i, (name, p) in enumerate(probs.items()):
        fig.add_trace(go.Bar(x=list(classes), y=list(p), name=name, marker_color=PALETTE[i % len(PALETTE)],
                             hovertemplate=f"{name} · %{{x}}: %{{y:.4f}}<extra></extra>"))
    fig.update_layout(barmode="group", title=title, height=300, yaxis={"range": [0, 1], "title": y_title},
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8}, legend={"orientation": "h"})
    return fig


def shift_accuracy_figure(series: Mapping[str, ShiftAccuracy], *, title: str = "", x_title: str = "",
                          y_title: str = "") -> go.Figure:
    """Accuracy on the committed test batch against the shift in pixels, one line per model."""
    fig = go.Figure()
    for i, (name, acc) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(acc.shifts), y=list(acc.accuracy), name=name, mode="lines+markers",
                                 line={"color": PALETTE[i % len(PALETTE)]},
                                 hovertemplate=f"{name} · %{{x}} px: %{{y:.1%}}<extra></extra>"))
    fig.update_layout(title=title, height=320, xaxis={"title": x_title, "dtick": 1},
                      yaxis={"title": y_title, "tickformat": ".0%", "range": [0, 1.02]},
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8}, legend={"orientation": "h"})
    return fig


def shift_prob_figure(results: Mapping[str, ShiftResult], *, title: str = "", x_title: str = "",
                      y_title: str = "", flip_text: str = "✗") -> go.Figure:
    """The originally predicted class's probability against the shift (mean over directions), one line per
    model; shifts where the prediction flipped in any direction are marked with ``flip_text``."""
    fig = go.Figure()
    for i, (name, r) in enumerate(results.items()):
        mean = r.mean_prob()
        flips = [sum(row[s] for row in r.flipped) for s in range(len(r.shifts))]
        fig.add_trace(go.Scatter(
            x=list(r.shifts), y=list(mean), name=name, mode="lines+markers+text",
            line={"color": PALETTE[i % len(PALETTE)]},
            text=[f"{flip_text}{n}" if n else "" for n in flips], textposition="bottom center",
            customdata=flips,
            hovertemplate=f"{name} · %{{x}} px: %{{y:.1%}} · {flip_text} %{{customdata}}/{len(r.directions)}"
                          "<extra></extra>"))
    fig.update_layout(title=title, height=320, xaxis={"title": x_title, "dtick": 1},
                      yaxis={"title": y_title, "tickformat": ".0%", "range": [0, 1.05]},
                      margin={"l": 8, "r": 8, "t": 36 if title else 8, "b": 8}, legend={"orientation": "h"})
    return fig


def shift_strip(images: np.ndarray, *, title: str = "", labels: Sequence[str] | None = None) -> MapImage:
    """The shifted copies of the image side by side, in gray, as one picture."""
    maps = np.asarray(images, dtype=np.float32)
    return tiled_maps(maps, labels=list(labels) if labels is not None else None, title=title, signed=False,
                      cols=len(maps), colorscale="gray", target_width=900)
