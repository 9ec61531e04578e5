"""HOMER step 1 from binned data: maximum-entropy event weights matching measured histograms.

With data given only as histograms, no classifier can be trained on data events. We
choose the event weights that change the simulation least (minimum Kullback-Leibler
divergence from it) while reproducing the measured histograms: by the maximum-entropy
principle (Jaynes 1957; iterative proportional fitting in the exact limit) they have the
exponential-family form

    log w(x) = sum_k sum_b theta_kb F_kb(x) + const,

where F_kb(x) is the number of fills event x puts into bin b of histogram k (0 or 1 for
event shapes, particle counts for spectra). For one event-level histogram this is
exactly the per-bin data/simulation ratio, the answer of a perfect classifier that sees
only that binned observable; with several histograms it is the least informative joint
reweighting consistent with all of them, keeping the simulation's correlations. theta
is fitted by minimising

    chi2 = sum_points (h_pred(theta) - y)^2 / (sigma_y^2 + sigma_pred^2) + ridge |theta|^2,

with h_pred normalised as Rivet does (registry entry) and sigma_pred the statistical
error of the weighted prediction (delta method). Alternatives we rejected: sampling
pseudo-events from the measured marginals destroys their correlations (a classifier
would then learn the simulation's correlations, not the data); one classifier per
histogram multiplies ratios of overlapping observables (double counting).
w(x) depends on the event only through its observables, so step 2 proceeds unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from mlhad.exceptions import InferenceError
from mlhad.io import Sample
from mlhad.progress import progress_bar

from .binned_targets import BinnedTarget
from .config import BinnedConfig

__all__ = ["FillStatistics", "fill_statistics", "sample_fill_statistics", "predict", "measure", "BinnedFit",
           "fit_maxent", "chi2"]


@dataclass
class FillStatistics:
    """Per-event fills of every target histogram.

    Attributes:
        fills: per target, (n_events, n_bins + 2) sparse counts; column 0 is the
            underflow, column n_bins + 1 the overflow (YODA's convention).
        counted: per target, (n_events,) the event passes the entry's veto
            (at least ``min_charged`` charged particles) and counts in "per event".
    """

    fills: list[sp.csr_matrix]
    counted: list[np.ndarray]

    @property
    def n_events(self) -> int:
        return int(self.counted[0].size) if self.counted else 0

    def select(self, events: np.ndarray) -> FillStatistics:
        return FillStatistics([f[events] for f in self.fills], [c[events] for c in self.counted])

    @classmethod
    def concatenate(cls, parts: Sequence[FillStatistics]) -> FillStatistics:
        n = len(parts[0].fills)
        return cls([sp.vstack([p.fills[k] for p in parts]).tocsr() for k in range(n)],
                   [np.concatenate([p.counted[k] for p in parts]) for k in range(n)])


def fill_statistics(particles: ak.Array, targets: Sequence[BinnedTarget], *, beam_energy: float) -> FillStatistics:
    """Fills of every target by some events.

    Args:
        particles: ragged particles of the events.
        targets: the histograms.
        beam_energy: p_beam in GeV.
    """
    from mlhad.observables import compute

    n = len(particles)
    by_selection: dict[str, dict[str, object]] = {}
    for t in targets:
        by_selection.setdefault(t.entry.compute_selection, {})[t.entry.observable] = None
    values: dict[tuple[str, str], object] = {}
    n_charged = None
    for selection, names in by_selection.items():
        out = compute(particles, sorted(names) + ["n_charged"], beam_energy=beam_energy, selection=selection)
        n_charged = np.asarray(out["n_charged"])
        for name in names:
            values[(selection, name)] = out[name]
    fills, counted = [], []
    for t in targets:
        e = t.entry
        ok = n_charged >= e.min_charged
        v = values[(e.compute_selection, e.observable)]
        if e.kind == "event":
            x = np.asarray(v, dtype=np.float64)
            event = np.arange(n)
        else:
            x = np.asarray(np.ma.filled(ak.to_numpy(ak.flatten(v)), np.nan), dtype=np.float64)
            event = np.repeat(np.arange(n), ak.to_numpy(ak.num(v)))
        keep = ok[event] & ~np.isnan(x)
        column = np.searchsorted(t.edges, x[keep], side="right")
        matrix = sp.coo_matrix((np.ones(column.size), (event[keep], column)), shape=(n, t.n_bins + 2)).tocsr()
        fills.append(matrix)
        counted.append(ok)
    return FillStatistics(fills, counted)


def sample_fill_statistics(sample: Sample, targets: Sequence[BinnedTarget], *, beam_energy: float,
                           max_events: int | None = None, progress: bool = True) -> FillStatistics:
    """:func:`fill_statistics` of a sample, chunk by chunk."""
    total = sample.n_events if max_events is None else min(max_events, sample.n_events)
    parts, done = [], 0
    bar = progress_bar(total=total, desc=f"histogram fills {sample.path.name}", unit="ev", disable=not progress)
    try:
        for info in sample.chunks:
            if done >= total:
                break
            events = sample.read(["particles"], chunks=[info.index])[: total - done]
            parts.append(fill_statistics(events.particles, targets, beam_energy=beam_energy))
            done += len(events)
            bar.update(len(events))
    finally:
        bar.close()
    return FillStatistics.concatenate(parts)


class _Predictor:
    """Predicted target histograms from event weights, with their exact gradient.

    For a target with fills F (events x bins), denominator contributions d (events; all
    fills for unit area, counted events otherwise) and weights w, the prediction at bin b
    is h_b = A_b / (B width_b) with A = F^T w, B = d^T w; its statistical variance is the
    delta-method variance of the ratio, sum_e w_e^2 (F_eb - R_b d_e)^2 / B^2, R = A / B.
    """

    def __init__(self, stats: FillStatistics, targets: Sequence[BinnedTarget]) -> None:
        self.targets = list(targets)
        self.F: list[sp.csr_matrix] = []
        self.FT: list[sp.csr_matrix] = []
        self.F2T: list[sp.csr_matrix] = []
        self.d: list[np.ndarray] = []
        self.width: list[np.ndarray] = []
        for t, f, ok in zip(self.targets, stats.fills, stats.counted, strict=True):
            d = np.asarray(f.sum(axis=1)).ravel() if t.entry.normalisation == "unit_area" else ok.astype(np.float64)
            # unit area: every fill counts, flows included (Rivet's normalize); else: the counted events
            cols = f[:, 1:-1][:, t.points].tocsr()
            self.F.append(cols)
            self.FT.append(cols.T.tocsr())
            self.F2T.append(cols.multiply(cols).T.tocsr())
            self.d.append(d)
            widths = np.ones(t.n_bins) if t.entry.normalisation == "fraction" else t.widths
            self.width.append(widths[t.points])

    def heights(self, w: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Per target ``(h, variance, B)``."""
        out = []
        w2 = w * w
        for t, FT, F2T, d, width in zip(self.targets, self.FT, self.F2T, self.d, self.width, strict=True):
            a = FT @ w
            b = float(np.sum(d * w))  # not BLAS: its threads spin on a busy machine
            if b <= 0:
                raise InferenceError(f"{t.path}: no simulated event fills this histogram; its observable "
                                     "cannot be predicted from the simulation")
            r = a / b
            var = (F2T @ w2 - 2 * r * (FT @ (w2 * d)) + r * r * float(np.sum(w2 * d * d))) / b**2
            out.append((r / width, np.clip(var, 0.0, None) / width**2, b))
        return out

    def chi2_and_gradient(self, w: np.ndarray, ys: list[np.ndarray], denominators: list[np.ndarray]
                          ) -> tuple[float, np.ndarray]:
        """chi2 with fixed denominators and its gradient with respect to the weights."""
        total = 0.0
        grad = np.zeros_like(w)
        for F, FT, d, width, y, den in zip(self.F, self.FT, self.d, self.width, ys, denominators, strict=True):
            a = FT @ w
            b = float(np.sum(d * w))  # not BLAS: its threads spin on a busy machine
            h = a / b / width
            used = den > 0  # a bin empty in data and simulation carries no information
            resid = np.where(used, h - y, 0.0)
            total += float(np.sum(resid[used] ** 2 / den[used]))
            c = np.where(used, 2.0 * resid / np.where(used, den, 1.0), 0.0) / width
            grad += (F @ c - d * float(np.sum(c * a)) / b) / b
        return total, grad


def predict(stats: FillStatistics, targets: Sequence[BinnedTarget], weights: np.ndarray | None = None
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Predicted heights and their statistical errors for (weighted) events.

    Returns:
        Per target, ``(heights, errors)`` at its measured points.
    """
    w = np.ones(stats.n_events) if weights is None else np.asarray(weights, dtype=np.float64)
    return [(h, np.sqrt(v)) for h, v, _ in _Predictor(stats, targets).heights(w)]


def measure(stats: FillStatistics, targets: Sequence[BinnedTarget]) -> list[BinnedTarget]:
    """The targets' histograms as measured on these (unweighted) events, with statistical errors.

    Used to turn a generated "data" sample into binned data (closure tests).
    """
    out = []
    for t, (h, e) in zip(targets, predict(stats, targets), strict=True):
        out.append(BinnedTarget(entry=t.entry, edges=t.edges, points=t.points, values=h, errors=e))
    return out


def chi2(stats: FillStatistics, targets: Sequence[BinnedTarget], weights: np.ndarray | None = None) -> tuple[float, int]:
    """chi2 of the (weighted) prediction against the targets and the number of points."""
    total, n = 0.0, 0
    for t, (h, e) in zip(targets, predict(stats, targets, weights), strict=True):
        var = t.errors**2 + e**2
        used = var > 0  # a bin empty in both data and simulation carries no information
        total += float(np.sum((h - t.values)[used] ** 2 / var[used]))
        n += int(used.sum())
    return total, n


@dataclass
class BinnedFit:
    """Fitted maximum-entropy weights.

    Attributes:
        theta: per target, (n_bins,) log-weight parameter of each bin.
        log_norm: constant making the mean weight 1 over the fitted events.
        chi2_before, chi2_after: chi2 of the simulation unweighted and weighted.
        n_points: measured points fitted (bins empty in data and simulation excluded).
        paths: reference paths of the targets (in order).
        ridge: the penalty chosen (None: the simulation already fitted, weights 1).
    """

    theta: list[np.ndarray]
    log_norm: float
    chi2_before: float
    chi2_after: float
    n_points: int
    paths: list[str]
    ridge: float | None = None

    def log_weights(self, stats: FillStatistics) -> np.ndarray:
        """(n_events,) log w_class of events with these fill statistics."""
        out = np.zeros(stats.n_events)
        for f, th in zip(stats.fills, self.theta, strict=True):
            out += f @ np.concatenate([[0.0], th, [0.0]])  # flows carry no parameter
        return out - self.log_norm


def _fit_theta(predictor: _Predictor, stats: FillStatistics, targets: Sequence[BinnedTarget], ridge: float,
               theta0: np.ndarray, max_iter: int, base: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimise chi2 + ridge |theta|^2 at fixed ridge; returns (theta, chi2 without the ridge)."""
    sizes = [t.points.size for t in targets]
    splits = np.cumsum(sizes)[:-1]
    ys = [t.values for t in targets]
    data_var = [t.errors**2 for t in targets]

    def log_weights(theta: np.ndarray) -> np.ndarray:
        return base + sum(F @ th for F, th in zip(predictor.F, np.split(theta, splits), strict=True))

    theta = theta0.copy()
    for _ in range(2):  # the prediction's own variance is refreshed at the current weights
        lw = log_weights(theta)
        w = np.exp(lw - lw.max())
        dens = [dv + v for dv, (_, v, _) in zip(data_var, predictor.heights(w), strict=True)]

        def objective(th: np.ndarray) -> tuple[float, np.ndarray]:
            lw = log_weights(th)
            w = np.exp(lw - lw.max())
            value, grad_w = predictor.chi2_and_gradient(w, ys, dens)
            grad = np.concatenate([F.T @ (grad_w * w) for F in predictor.F])
            return value + ridge * float(np.sum(th * th)), grad + 2 * ridge * th

        result = minimize(objective, theta, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
        theta = result.x
    lw = log_weights(theta)
    w = np.exp(lw - lw.max())
    return theta, chi2(stats, targets, w)[0]


def fit_maxent(stats: FillStatistics, targets: Sequence[BinnedTarget], config: BinnedConfig,
               base_log_weights: np.ndarray | None = None) -> BinnedFit:
    """Fit the maximum-entropy weights of the simulated events to the targets (see module docstring).

    As many parameters as measured points would fit the data's statistical noise
    (chi2 -> 0). The ridge is therefore chosen by the discrepancy principle (Morozov
    1966): the largest penalty whose fit reaches chi2 = n_points, the value expected
    when the weighted simulation is the truth (data and simulation both fluctuate); if
    the unweighted simulation is already there, the weights stay 1.
    ``config.ridge`` is the smallest penalty tried.

    Args:
        stats: fills of the simulated events.
        targets: measured histograms.
        config: ridge floor and iterations.
        base_log_weights: (n_events,) log weights the simulation already carries (the
            previous iteration's HOMER weights); the fit finds the remaining factor.

    Raises:
        InferenceError: a target cannot be predicted (no simulated fills), or the fit fails.
    """
    predictor = _Predictor(stats, targets)
    n_par = sum(t.points.size for t in targets)
    base = np.zeros(stats.n_events) if base_log_weights is None else np.asarray(base_log_weights, dtype=np.float64)
    base = base - base.max()
    before, n_points = chi2(stats, targets, np.exp(base))
    theta = np.zeros(n_par)
    ridge = None
    if before > n_points:
        lo_min = np.log10(max(config.ridge, 1e-8))
        lo, hi = lo_min, 7.0
        best, warm = None, theta
        for _ in range(8):  # bisection in log10(ridge) (chi2 grows with it) to ~0.05 in log10
            mid = 0.5 * (lo + hi)
            th, value = _fit_theta(predictor, stats, targets, 10**mid, warm, config.max_iter, base)
            warm = th
            if value > n_points:
                hi = mid
            else:
                lo, best = mid, th
        if best is None:  # even weak penalties stay above chi2 = n: take the weakest allowed
            best, _ = _fit_theta(predictor, stats, targets, 10**lo_min, warm, config.max_iter, base)
            lo = lo_min
        theta, ridge = best, 10**lo
    sizes = np.cumsum([t.points.size for t in targets])[:-1]
    per_target = []
    for t, th in zip(targets, np.split(theta, sizes), strict=True):
        full = np.zeros(t.n_bins)
        full[t.points] = th
        per_target.append(full)
    fit = BinnedFit(theta=per_target, log_norm=0.0, chi2_before=before, chi2_after=0.0, n_points=n_points,
                    paths=[t.path for t in targets], ridge=ridge)
    # normalised so that the simulation times its base weights times w has mean weight 1
    fit.log_norm = float(np.logaddexp.reduce(base + fit.log_weights(stats)) - np.logaddexp.reduce(base))
    fit.chi2_after = chi2(stats, targets, np.exp(base + fit.log_weights(stats)))[0]
    if not np.isfinite(fit.chi2_after):
        raise InferenceError("the binned maximum-entropy fit diverged (chi2 not finite); raise BinnedConfig.ridge")
    return fit
