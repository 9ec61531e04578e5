"""One plot per listed gap: data, best fit, what the box can reach, and the modelled gap.

Upper panel: the data with their errors, the best-fit prediction, the envelope of the
predictions over the parameter box (light band) and the spread over the parameter
uncertainty (dark band). Lower panel: ``data/MC - 1`` at the best fit with its error,
the regression model's smooth gap and the gap left by the best single-parameter move.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .diagnose import Diagnosis

__all__ = ["plot_gap"]


def plot_gap(diagnosis: Diagnosis, path: str, out: str | Path) -> Path:
    """Draw the gap plot of histogram ``path`` into ``out`` (PNG)."""
    import mplhep
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    from mlhad.compare import plot_labels

    obs = diagnosis.observation
    i = [h.path for h in obs.histograms].index(path)
    h = obs.histograms[i]
    sl = h.slice
    score = diagnosis.score(path)
    labels = plot_labels(path)
    x = 0.5 * (obs.xlow[sl] + obs.xhigh[sl])
    xerr = np.stack([x - obs.xlow[sl], obs.xhigh[sl] - x])
    d, s = obs.values[sl], obs.noise_scale(diagnosis.fit.errors)[sl]
    m = diagnosis.fit.values[sl]
    env_lo, env_hi = diagnosis.scan.low[sl], diagnosis.scan.high[sl]
    model = diagnosis.gap_models.get(path)
    with plt.style.context(mplhep.style.ROOT):
        fig = Figure(figsize=(7.2, 7.0))
        grid = fig.add_gridspec(2, 1, height_ratios=(3, 1.6), hspace=0.06, left=0.16, right=0.97, top=0.86, bottom=0.1)
        top = fig.add_subplot(grid[0])
        bottom = fig.add_subplot(grid[1], sharex=top)
        if x.size > 1:
            top.fill_between(x, env_lo, env_hi, color="tab:orange", alpha=0.25, lw=0, label="any point in the limits")
            top.plot(x, m, color="tab:red", lw=1.6, label="best fit")
        else:
            top.errorbar(x, m, yerr=[[m[0] - env_lo[0]], [env_hi[0] - m[0]]], fmt="s", color="tab:red", ms=6,
                         ecolor="tab:orange", label="best fit; any point in the limits")
        top.errorbar(x, d, yerr=s, xerr=xerr, fmt="o", color="k", ms=4, label="data", zorder=5)
        if h.normalisation != "mean" and np.all(d > 0) and np.all(env_lo > 0):
            top.set_yscale("log")
        top.set_ylabel(labels.ylabel, fontsize=14)
        auc = "" if score.auc is None else f", classifier AUC {score.auc:.2f}"
        top.set_title(f"{h.analysis} {h.name}: {labels.title}\n{score.status}: chi2/n at fit "
                      f"{score.chi2_fit:.1f}/{score.n_points}, alone {score.chi2_alone:.1f}{auc}", fontsize=9, loc="left")
        top.legend(fontsize=9, frameon=False)
        top.tick_params(labelbottom=False, labelsize=11)
        with np.errstate(divide="ignore", invalid="ignore"):
            gap, gap_err = d / m - 1.0, np.abs(s / m)
        bottom.axhline(0.0, color="k", lw=0.8)
        bottom.errorbar(x, gap, yerr=gap_err, xerr=xerr, fmt="o", color="k", ms=3, label="data/fit - 1")
        if model is not None and x.size > 1:
            bottom.plot(x, model.shape_at_fit, color="tab:blue", lw=1.5, label=f"gap model (r2 {model.r2:.2f})")
            best = model.explanations[0]
            if best.fraction > 0:
                z = np.zeros(len(model.params))
                for name, shift in zip(best.params, best.shift):
                    k = model.params.index(name)
                    z[k] = shift / model.width[k]
                who = best.params[0].split(":")[-1] if len(best.params) == 1 else "all"
                bottom.plot(x, model.predict(z)[0], color="tab:green", lw=1.3, ls="--",
                            label=f"after moving {who} ({best.fraction:.0%} closed)")
        bottom.set_ylabel("data/MC - 1", fontsize=12)
        bottom.set_xlabel(labels.xlabel, fontsize=13)
        bottom.legend(fontsize=8, frameon=False)
        bottom.tick_params(labelsize=11)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=90)
    return out
