"""Numbers as the reader sees them: short decimals, never the float32 noise of a JSON round trip.

A float32 value such as 0.04 is stored as 0.039999999105930328; sent to the browser as a float32 array it is
printed in full ("0.0399999991059303"). Two remedies, used by every figure that prints or hovers a value:

* :func:`fmt` / :func:`cell_text` turn values into short strings for ``text`` + ``texttemplate="%{text}"``;
* :func:`hover` is the plotly format of a hovered value, ``%{z:.4~g}``: 4 significant digits, trailing zeros
  dropped (float32 0.04 hovers as "0.04", 3.2e-7 as "3.2e-7"), while the data stay compact float32;
* :func:`rounded` rounds to a few significant digits *in float64*, for values that must print short without a
  format (the default hover of a scatter point).
"""

from __future__ import annotations

import math

import numpy as np

DECIMALS = 4  # at most this many decimals in a printed value
SIGNIFICANT = 4  # significant digits kept by rounded()
SMALL = 1e-3  # below this magnitude (and ≥ 1e5) a value is printed as 1.23e-05


def hover(var: str = "z", significant: int = SIGNIFICANT) -> str:
    """The plotly template of one value: ``hover("y")`` → ``"%{y:.4~g}"``."""
    return "%{" + var + f":.{significant}~g" + "}"


def fmt(v: float, decimals: int = DECIMALS) -> str:
    """``v`` with at most ``decimals`` decimals and no trailing zeros ("0.04", "1.47", "-3", "0.1235"); very small
    or very large magnitudes, and values that would round to 0, with 3 significant digits ("3.2e-06", "0.004");
    NaN as ""."""
    v = float(v)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    if abs(v) < SMALL or abs(v) >= 1e5:
        return f"{v:.3g}"
    s = f"{v:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return f"{v:.3g}" if s in ("0", "-0") else s  # a small value is not printed as 0


def cell_text(values, decimals: int = DECIMALS) -> np.ndarray:  # noqa: ANN001 - array-like
    """:func:`fmt` of every value, same shape, as an object array (for a heatmap's ``text``)."""
    a = np.asarray(values, dtype=np.float64)
    return np.array([fmt(v, decimals) for v in a.ravel()], dtype=object).reshape(a.shape)


def rounded(values, significant: int = SIGNIFICANT) -> np.ndarray:  # noqa: ANN001 - array-like
    """``values`` as float64 rounded to ``significant`` significant digits (NaN stays NaN): short in JSON and in a
    ``%{z}`` hover, and small values keep their magnitude (unlike a fixed number of decimals)."""
    a = np.asarray(values, dtype=np.float64)
    out = a.copy()
    finite = np.isfinite(a) & (a != 0)
    if finite.any():
        exp = np.floor(np.log10(np.abs(a[finite])))
        scale = 10.0 ** (significant - 1 - exp)
        out[finite] = np.round(a[finite] * scale) / scale
    return out
