"""Pretraining loss curves (matplotlib + mplhep, Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_loss_curves"]


def plot_loss_curves(history: Mapping[str, Sequence[float]], trivial: Mapping[str, float], path: str | Path) -> Path:
    """Pretraining curves: MPM loss (left) and, if trained, the parameter regression (right).

    Left: training loss per step (running mean; the total, MPM plus the weighted
    parameter term) and validation MPM loss per epoch, with the trivial predictor's
    loss as the floor to beat. Right: validation MSE of the standardised parameter
    point (1 = knowing nothing beyond the mean).

    Args:
        history: :attr:`PretrainResult.history`.
        trivial: :attr:`PretrainResult.trivial` (loss of the predictor that knows nothing).
        path: output image (``.png`` or ``.pdf``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep

    path = Path(path)
    steps = np.asarray(history["step_loss"], dtype=float)
    epochs = len(history["val_loss"])
    per_epoch = max(1, steps.size // max(epochs, 1))
    window = max(1, per_epoch // 10)
    smooth = np.convolve(steps, np.ones(window) / window, mode="valid")
    param = np.asarray(history.get("val_param", []), dtype=float)
    with_param = param.size > 0 and np.isfinite(param).all()
    x = np.arange(1, epochs + 1)
    with plt.style.context(mplhep.style.ROOT):
        fig, axes = plt.subplots(1, 2 if with_param else 1, figsize=(14 if with_param else 8, 6), squeeze=False)
        ax = axes[0, 0]
        ax.plot((np.arange(smooth.size) + window) / per_epoch, smooth, lw=1, alpha=0.7,
                label="train total (running mean)")
        ax.plot(x, history["val_loss"], "o-", label="validation: MSE(ln E) + CE(species)")
        ax.plot(x, history["val_mse"], "s--", label="validation: MSE(ln E)")
        ax.plot(x, history["val_ce"], "^--", label="validation: CE(species)")
        ax.axhline(trivial["loss"], color="k", ls=":", label=f"trivial predictor ({trivial['loss']:.3f})")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend(fontsize=12)
        if with_param:
            ax = axes[0, 1]
            ax.plot(x, param, "o-", label="validation: MSE of standardised parameters")
            ax.axhline(1.0, color="k", ls=":", label="knowing nothing (1)")
            ax.set_xlabel("epoch")
            ax.set_ylabel("parameter regression MSE")
            ax.legend(fontsize=12)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=60)
        plt.close(fig)
    return path
