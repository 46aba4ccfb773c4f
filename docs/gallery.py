"""Writes docs/gallery.png (the README's picture) with lrjit.plot: ``.venv/bin/python docs/gallery.py``."""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import lrjit  # noqa: E402

N = 10_000
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
lrjit.plot(
    [
        lrjit.parse("warmup(CosineDecay(0.1, 9_500), steps=500)"),
        lrjit.WarmupStableDecay(0.1, 1000, 6000, 3000, decay_type="1-sqrt"),
        lrjit.OneCycleLR(0.1, total_steps=N),
        lrjit.parse("warmup(CosineDecayRestarts(0.1, 1_500, t_mul=2.0, m_mul=0.7), steps=500)"),
    ],
    N,
    ax=left,
    labels=["warmup + cosine", "WarmupStableDecay (1-sqrt)", "OneCycleLR", "warmup + CosineDecayRestarts"],
)
left.set_title("four schedules", fontsize=10)
peaks = lrjit.stack(
    [lrjit.warmup(lrjit.CosineDecay(float(p), 9_000, alpha=0.01), 1_000) for p in np.geomspace(1e-3, 1.0, 12)]
)
lrjit.plot(peaks, N, ax=right, log=True, labels=["peak rate sweep"])
right.set_title("a batch of 12 configs (one kernel), log scale", fontsize=10)
fig.tight_layout()
out = pathlib.Path(__file__).with_name("gallery.png")
fig.savefig(out, dpi=72)
print(f"{out}: {out.stat().st_size // 1024} KB")
