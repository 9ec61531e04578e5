"""Is the posterior calibrated? Simulation-based calibration and expected coverage.

Pure functions of posterior samples (no network, no simulator), so they can be checked
on posteriors whose answer is known:

* :func:`sbc_ranks` -- for pseudo-experiments ``(theta_i, x_i)`` with ``theta_i`` drawn
  from the prior, the rank of ``theta_i`` among ``L`` posterior samples given ``x_i``,
  per parameter (Talts et al. 2018, arXiv:1804.06788). A calibrated posterior gives
  ranks uniform on ``0..L``.
* :func:`rank_uniformity` -- chi2 test of the binned ranks and Kolmogorov-Smirnov test
  of ``(rank + U) / (L + 1)`` (randomised to remove the discreteness), per parameter.
* :func:`central_coverage` -- the fraction of pseudo-experiments whose central
  ``alpha`` marginal interval holds ``theta_i``, for a grid of ``alpha``; with a
  binomial error. Nominal: equal to ``alpha``.
* :func:`hpd_coverage` -- the expected coverage of highest-posterior-density regions
  (Deistler et al. 2022, arXiv:2210.04815): ``theta_i`` lies in the ``alpha`` HPD
  region iff fewer than ``alpha L`` samples have a higher posterior density than it.

Over-confident posteriors give U-shaped ranks and coverage below nominal;
under-confident ones a central bump and coverage above nominal; a biased one a slope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from mlhad.exceptions import InferenceError

__all__ = ["sbc_ranks", "rank_uniformity", "central_coverage", "hpd_coverage", "CoverageCurve",
           "UniformityTest", "binomial_band"]


def _check(theta: np.ndarray, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(theta, dtype=np.float64)
    s = np.asarray(samples, dtype=np.float64)
    if t.ndim != 2 or s.ndim != 3 or s.shape[1] != t.shape[0] or s.shape[2] != t.shape[1]:
        raise InferenceError(f"expected theta (N, d) and samples (L, N, d), got {t.shape} and {s.shape}")
    return t, s


def sbc_ranks(theta: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """``(N, d)`` number of posterior samples below the true value, per parameter.

    Args:
        theta: ``(N, d)`` true parameters of ``N`` pseudo-experiments.
        samples: ``(L, N, d)`` posterior samples for each.
    """
    t, s = _check(theta, samples)
    return (s < t[None, :, :]).sum(axis=0)


@dataclass(frozen=True)
class UniformityTest:
    """Uniformity of SBC ranks, per parameter (``(d,)`` arrays).

    Attributes:
        chi2, ndf, chi2_pvalue: chi2 test of ``n_bins`` equal rank bins.
        ks_statistic, ks_pvalue: Kolmogorov-Smirnov test of the randomised ranks.
    """

    chi2: np.ndarray
    ndf: int
    chi2_pvalue: np.ndarray
    ks_statistic: np.ndarray
    ks_pvalue: np.ndarray

    def to_dict(self) -> dict:
        return {"chi2": self.chi2.tolist(), "ndf": self.ndf, "chi2_pvalue": self.chi2_pvalue.tolist(),
                "ks_statistic": self.ks_statistic.tolist(), "ks_pvalue": self.ks_pvalue.tolist()}


def rank_uniformity(ranks: np.ndarray, n_samples: int, *, n_bins: int | None = None,
                    rng: np.random.Generator | None = None) -> UniformityTest:
    """Test ``(N, d)`` ranks (each in ``0..n_samples``) for uniformity.

    Args:
        ranks: from :func:`sbc_ranks`.
        n_samples: ``L``, posterior samples per pseudo-experiment.
        n_bins: rank bins of the chi2 test (default ``N / 10``, at least 4, so that
            each bin expects about 10 entries; must divide ``L + 1`` evenly or the
            expected counts are computed exactly per bin).
        rng: randomises the ties for the KS test (default seeded with 0).
    """
    r = np.atleast_2d(np.asarray(ranks))
    n, d = r.shape
    if n < 2:
        raise InferenceError(f"need at least 2 pseudo-experiments to test uniformity, got {n}")
    if r.min() < 0 or r.max() > n_samples:
        raise InferenceError(f"ranks must lie in [0, {n_samples}], got [{r.min()}, {r.max()}]")
    bins = n_bins or max(4, min(n // 10, n_samples + 1))
    edges = np.linspace(0, n_samples + 1, bins + 1)
    # expected share of each bin: the number of integer ranks it holds
    counts_expected = np.diff(np.ceil(edges)) / (n_samples + 1) * n
    chi2 = np.empty(d)
    for k in range(d):
        observed, _ = np.histogram(r[:, k], bins=np.ceil(edges) - 0.5)
        chi2[k] = float(np.sum((observed - counts_expected) ** 2 / counts_expected))
    p_chi2 = stats.chi2.sf(chi2, bins - 1)
    gen = rng or np.random.default_rng(0)
    u = (r + gen.uniform(size=r.shape)) / (n_samples + 1)
    ks = [stats.kstest(u[:, k], "uniform") for k in range(d)]
    return UniformityTest(chi2, bins - 1, p_chi2, np.array([t.statistic for t in ks]),
                          np.array([t.pvalue for t in ks]))


@dataclass(frozen=True)
class CoverageCurve:
    """Empirical coverage at credibility levels ``alpha``.

    Attributes:
        alpha: ``(A,)`` nominal levels.
        coverage: ``(A, d)`` (marginal intervals) or ``(A, 1)`` (joint HPD regions).
        n: pseudo-experiments.
        kind: ``"central"`` or ``"hpd"``.
    """

    alpha: np.ndarray
    coverage: np.ndarray
    n: int
    kind: str

    @property
    def error(self) -> np.ndarray:
        """Binomial standard error of each coverage at its nominal level."""
        return np.sqrt(self.alpha * (1 - self.alpha) / self.n)[:, None] * np.ones_like(self.coverage)

    def at(self, level: float) -> np.ndarray:
        i = int(np.argmin(np.abs(self.alpha - level)))
        if abs(self.alpha[i] - level) > 1e-9:
            raise InferenceError(f"level {level} is not on the grid {self.alpha.tolist()}")
        return self.coverage[i]

    def max_deviation(self) -> float:
        """Largest ``|coverage - alpha|`` in units of its binomial error (alpha in (0, 1))."""
        inner = (self.alpha > 0) & (self.alpha < 1)
        err = self.error[inner]
        return float(np.max(np.abs(self.coverage[inner] - self.alpha[inner, None]) / err))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "n": self.n, "alpha": self.alpha.tolist(), "coverage": self.coverage.tolist()}


DEFAULT_LEVELS = np.round(np.linspace(0.05, 0.95, 19), 4)


def central_coverage(theta: np.ndarray, samples: np.ndarray, alpha: np.ndarray | None = None) -> CoverageCurve:
    """Coverage of the central marginal intervals ``[q_{(1-a)/2}, q_{(1+a)/2}]``, per parameter."""
    t, s = _check(theta, samples)
    levels = DEFAULT_LEVELS if alpha is None else np.asarray(alpha, dtype=np.float64)
    cov = np.empty((levels.size, t.shape[1]))
    for i, a in enumerate(levels):
        lo = np.quantile(s, (1 - a) / 2, axis=0)
        hi = np.quantile(s, (1 + a) / 2, axis=0)
        cov[i] = np.mean((t >= lo) & (t <= hi), axis=0)
    return CoverageCurve(levels, cov, t.shape[0], "central")


def hpd_coverage(log_prob_true: np.ndarray, log_prob_samples: np.ndarray,
                 alpha: np.ndarray | None = None) -> CoverageCurve:
    """Expected coverage of HPD regions from posterior densities.

    Args:
        log_prob_true: ``(N,)`` log q(theta_i | x_i).
        log_prob_samples: ``(L, N)`` log q of the posterior samples of each x_i.
        alpha: levels (default 0.05, 0.10, ..., 0.95).
    """
    lt = np.asarray(log_prob_true, dtype=np.float64)
    ls = np.asarray(log_prob_samples, dtype=np.float64)
    if ls.ndim != 2 or ls.shape[1] != lt.shape[0]:
        raise InferenceError(f"expected (N,) and (L, N) log-densities, got {lt.shape} and {ls.shape}")
    levels = DEFAULT_LEVELS if alpha is None else np.asarray(alpha, dtype=np.float64)
    # fraction of samples more probable than the truth = the smallest HPD level that contains it
    depth = np.mean(ls > lt[None, :], axis=0)
    cov = np.array([[np.mean(depth < a)] for a in levels])
    return CoverageCurve(levels, cov, lt.size, "hpd")


def binomial_band(alpha: np.ndarray, n: int, z: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """``alpha -+ z sqrt(alpha (1 - alpha) / n)``: where a calibrated curve lies (~95 % for z = 2)."""
    a = np.asarray(alpha, dtype=np.float64)
    half = z * np.sqrt(a * (1 - a) / n)
    return np.clip(a - half, 0, 1), np.clip(a + half, 0, 1)
