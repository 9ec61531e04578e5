"""Statistical health of a set of event weights, reported with every reweighting.

For weights w_i of N events (expected mean 1 when the sample covers the target):

- n_eff / N = (sum w)^2 / (N sum w^2): the fraction of the sample's statistical power kept;
- 1 - mu with mu = mean w, and its error std(w) / sqrt(N): consistent with 0 if the target
  lies inside the sample's coverage (as in arXiv 2308.13459's validation);
- the largest single weight's share of sum w: one event dominating means no coverage.

Pythia itself gives no warning when a variation is outside the sample's coverage;
:func:`check_coverage` does.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from mlhad.exceptions import CoverageWarning, ReweightError

__all__ = ["WeightDiagnostics", "weight_diagnostics", "check_coverage"]


@dataclass(frozen=True)
class WeightDiagnostics:
    n: int
    n_eff_fraction: float
    one_minus_mu: float
    one_minus_mu_error: float
    max_share: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def __str__(self) -> str:
        return (f"n_eff/N = {self.n_eff_fraction:.3f}, 1 - mu = {self.one_minus_mu:+.4f} "
                f"+- {self.one_minus_mu_error:.4f}, largest weight share = {self.max_share:.2e} (N = {self.n})")


def weight_diagnostics(w) -> WeightDiagnostics:
    """Diagnostics of a weight vector (numpy or torch, shape (N,))."""
    w = np.asarray(w.detach().cpu().numpy() if hasattr(w, "detach") else w, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ReweightError(f"weights must be a non-empty 1-d array, got shape {w.shape}")
    bad = ~np.isfinite(w)
    if bad.any():
        raise ReweightError(
            f"{int(bad.sum())} of {w.size} weights are not finite (first at event {int(np.flatnonzero(bad)[0])}); "
            "the target parameters are far outside what the sample can describe"
        )
    s1, s2 = w.sum(), np.square(w).sum()
    n = w.size
    mu = s1 / n
    err = float(np.std(w, ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
    return WeightDiagnostics(
        n=n,
        n_eff_fraction=float(s1 * s1 / (n * s2)) if s2 > 0 else 0.0,
        one_minus_mu=float(1.0 - mu),
        one_minus_mu_error=err,
        max_share=float(w.max() / s1) if s1 > 0 else 1.0,
    )


def check_coverage(diag: WeightDiagnostics, *, label: str = "target", min_n_eff: float = 0.1,
                   max_share: float | None = None, max_pull: float = 4.0) -> bool:
    """Warn (CoverageWarning) if the weights say the target is outside the sample's coverage.

    Criteria: n_eff/N below ``min_n_eff``; one event carrying more than ``max_share`` of
    the total weight (default max(1%, 20/N): 20 times the average share in small samples);
    the mean weight more than ``max_pull`` standard errors from 1.

    Returns:
        True if covered, False if a warning was issued.
    """
    if max_share is None:
        max_share = max(0.01, 20.0 / diag.n)
    reasons = []
    if diag.n_eff_fraction < min_n_eff:
        reasons.append(f"n_eff/N = {diag.n_eff_fraction:.3f} < {min_n_eff}")
    if diag.max_share > max_share:
        reasons.append(f"one event carries {diag.max_share:.1%} of the total weight")
    if diag.one_minus_mu_error > 0 and abs(diag.one_minus_mu) > max_pull * diag.one_minus_mu_error:
        reasons.append(f"mean weight deviates from 1 by {abs(diag.one_minus_mu) / diag.one_minus_mu_error:.1f} sigma")
    if reasons:
        warnings.warn(
            f"{label} is outside the sample's coverage ({'; '.join(reasons)}); reweighted predictions there are "
            "unreliable: generate a base sample closer to it (the tuner does this automatically)",
            CoverageWarning, stacklevel=2,
        )
        return False
    return True
