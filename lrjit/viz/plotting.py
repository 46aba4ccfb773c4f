"""``lrjit.plot``: learning rate against step for schedules, batches and sweeps, on a matplotlib Axes.

matplotlib is optional (``pip install 'lrjit[plot]'``); it is imported when ``plot`` is called, never by
``import lrjit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lrjit.core import Schedule, batch_size
from lrjit.frontend import to_spec
from lrjit.sweep import Sweep, curves

__all__ = ["BAND_ABOVE", "plot"]

BAND_ABOVE = 32  # a batch or sweep of more configs is drawn as its median and a min-max band
_LABEL_CHARS = 80


def plot(
    schedules: Schedule | Sweep | Sequence[Schedule | Sweep],
    steps: int | Any,
    ax: Any = None,
    log: bool = False,
    labels: Sequence[str] | None = None,
) -> Any:
    """Draws learning rate against step, one legend entry per item, and returns the matplotlib Axes.

    A single schedule is one line. A batched schedule or a :class:`~lrjit.Sweep` of K configs is K lines
    in shades of one colormap (one legend entry) when ``K <= BAND_ABOVE`` (32), else the median over the
    configs at each step as a line and the min-max range as a band.

    Args:
      schedules: a schedule (single or batched), a sweep, or a list of them (overlaid).
      steps: N (steps ``0..N-1``) or a 1-D array of steps.
      ax: the Axes to draw on; None: a new figure's.
      log: a logarithmic learning-rate axis.
      labels: one legend label per item; None: each schedule's spec (``lrjit.frontend.to_spec``,
        shortened), a sweep's size.

    Raises:
      ImportError: matplotlib is not installed (``pip install 'lrjit[plot]'``).

    Example:
      >>> import matplotlib; matplotlib.use("Agg")
      >>> import lrjit
      >>> ax = lrjit.plot([lrjit.CosineDecay(0.1, 1000), lrjit.OneCycleLR(0.1, total_steps=1000)], 1000)
      >>> [t.get_text() for t in ax.get_legend().get_texts()]
      ['CosineDecay(initial_learning_rate=0.1, decay_steps=1000)', 'OneCycleLR(max_lr=0.1, total_steps=1000)']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("lrjit.plot needs matplotlib: pip install 'lrjit[plot]'") from e
    items = [schedules] if isinstance(schedules, Schedule | Sweep) else list(schedules)
    for i, item in enumerate(items):
        if not isinstance(item, Schedule | Sweep):
            raise TypeError(f"plot: item {i} is not an lrjit schedule or Sweep: {item!r:.80}")
    if labels is not None and len(labels) != len(items):
        raise ValueError(f"plot: {len(labels)} labels for {len(items)} schedules")
    grid = np.arange(steps) if np.ndim(steps) == 0 else np.asarray(steps)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    for i, item in enumerate(items):
        label = labels[i] if labels is not None else _label(item)
        color = f"C{i % 10}"
        y = np.asarray(curves(item, grid))
        if y.ndim == 1:
            ax.plot(grid, y, color=color, lw=1.4, label=label)
        elif y.shape[0] <= BAND_ABOVE:
            shades = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, y.shape[0]))
            for j, row in enumerate(y):
                ax.plot(
                    grid, row, color=shades[j], lw=1.0, label=None if j else f"{label} ({len(y)} configs)"
                )
        else:
            low, mid, high = np.nanmin(y, 0), np.nanmedian(y, 0), np.nanmax(y, 0)
            ax.fill_between(grid, low, high, color=color, alpha=0.25, lw=0)
            ax.plot(grid, mid, color=color, lw=1.4, label=f"{label} (median and min-max of {y.shape[0]})")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def _label(item: Schedule | Sweep) -> str:
    if isinstance(item, Sweep):
        return f"Sweep of {len(item)}"
    try:
        text = to_spec(item) if batch_size(item) is None else f"{type(item).__name__} batch"
    except ValueError:
        text = type(item).__name__
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."
