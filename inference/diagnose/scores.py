"""Per-observable scores: the chi2 decomposition at the best fit and what the box can reach.

For every histogram ``h`` of the observation (``n_h`` points):

* ``chi2_fit``: its share of the chi2 at the (robust) best fit, p-value from a chi2 with
  ``n_h`` degrees of freedom (no parameter is fitted to ``h`` alone, so this is exact
  for a correct model up to the fit's own small pull on ``h``);
* ``chi2_alone``: the smallest chi2 of ``h`` alone anywhere in the box (the design's
  minimum, refined by a local fit of ``h`` only): p-value with
  ``max(n_h - d, 1)`` degrees of freedom. Small: no parameter point inside the limits
  describes this observable even if all others are ignored;
* ``chi2_irreducible``: the sum of squared irreducible (envelope) pulls, a lower bound
  of ``chi2_alone`` bin by bin.

Status, with the Bonferroni threshold ``alpha / H`` over the ``H`` observables:

* ``gap`` -- ``p_alone`` below it: a mismodelling no parameter in the box produces
  (the "gaps with no obvious explanation" of the report);
* ``tension`` -- only ``p_fit`` below it: some point describes the observable alone,
  but not the one the other observables prefer;
* ``ok`` -- neither.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from mlhad.inference.sbi import FitResult, Limits, Observation, Simulator, fit_chi2
from mlhad.inference.sbi.fit import residuals
from mlhad.inference.sbi.observation import HistogramSelection

from .scan import DesignScan

__all__ = ["ObservableScore", "score_observables", "sub_observation", "rank", "STATUS_ORDER"]

STATUS_ORDER = {"gap": 0, "tension": 1, "ok": 2}


@dataclass
class ObservableScore:
    """The scores of one histogram (see the module docstring)."""

    path: str
    n_points: int
    chi2_fit: float
    p_fit: float
    chi2_alone: float
    p_alone: float
    theta_alone: list[float]
    chi2_irreducible: float
    n_unreachable: int
    max_pull: float
    status: str = "ok"
    auc: float | None = None
    auc_error: float | None = None
    auc_null: float | None = None
    auc_null95: float | None = None

    @property
    def significance(self) -> float:
        """``-log10`` of the p-value that decides the status (alone for gaps, else at the fit)."""
        p = self.p_alone if self.status == "gap" else self.p_fit
        return float(-np.log10(max(p, 1e-300)))

    def to_dict(self) -> dict:
        return asdict(self)


def sub_observation(observation: Observation, index: int) -> Observation:
    """The observation restricted to its ``index``-th histogram (slice starting at 0)."""
    h = observation.histograms[index]
    sl = h.slice
    hh = HistogramSelection(h.analysis, h.path, h.points, 0, h.stop - h.start, h.normalisation)
    return Observation((hh,), observation.values[sl], observation.errors[sl], observation.weights[sl], observation.xlow[sl],
                observation.xhigh[sl], {}, {})


class _Restricted:
    """A simulator view predicting one histogram of the observation."""

    def __init__(self, simulator: Simulator, observation: Observation, sl: slice) -> None:
        self._sim, self._sl = simulator, sl
        self.observation = observation
        self.params = simulator.params
        self.include_mc_error = simulator.include_mc_error

    def predict(self, theta: np.ndarray, *, progress: bool = False):
        out = self._sim.predict(theta, progress=progress)
        return type(out)(out.theta, out.values[:, self._sl], out.errors[:, self._sl], out.n_eff_fraction, out.covered)


def score_observables(simulator: Simulator, observation: Observation, limits: Limits, fit: FitResult,
                      scan: DesignScan, pulls_irreducible: np.ndarray, *, alpha: float = 0.05,
                      refine: bool = True) -> list[ObservableScore]:
    """Scores of every histogram, with their status (unsorted; see :func:`rank`)."""
    n_obs = len(observation.histograms)
    threshold = alpha / n_obs
    r_fit = residuals(observation, fit.values, fit.errors)
    r_scan = residuals(observation, scan.values, scan.errors)              # (J, m)
    out = []
    for i, h in enumerate(observation.histograms):
        sl = h.slice
        n = h.stop - h.start
        chi2_fit = float(np.sum(r_fit[sl] ** 2))
        p_fit = float(stats.chi2.sf(chi2_fit, n))
        per_design = np.sum(r_scan[:, sl] ** 2, axis=1)
        j = int(np.argmin(per_design))
        chi2_alone, theta_alone = float(per_design[j]), scan.theta[j]
        dof_alone = max(n - limits.dim, 1)
        if refine and stats.chi2.sf(chi2_alone, dof_alone) < threshold:
            sub = sub_observation(observation, i)
            local = fit_chi2(_Restricted(simulator, sub, sl), sub, limits, start=theta_alone, max_evaluations=20)
            if local.chi2 < chi2_alone:
                chi2_alone, theta_alone = local.chi2, local.theta
        irr = pulls_irreducible[sl]
        score = ObservableScore(
            path=h.path, n_points=n, chi2_fit=chi2_fit, p_fit=p_fit, chi2_alone=chi2_alone,
            p_alone=float(stats.chi2.sf(chi2_alone, dof_alone)), theta_alone=np.asarray(theta_alone).tolist(),
            chi2_irreducible=float(np.sum(irr ** 2)), n_unreachable=int(np.count_nonzero(irr)),
            max_pull=float(np.max(np.abs(r_fit[sl]))),
        )
        score.status = "gap" if score.p_alone < threshold else ("tension" if score.p_fit < threshold else "ok")
        out.append(score)
    return out


def rank(scores: list[ObservableScore]) -> list[ObservableScore]:
    """Worst-described first: gaps, then tensions, then the rest, each by decreasing significance."""
    return sorted(scores, key=lambda s: (STATUS_ORDER[s.status], -s.significance, -s.chi2_fit / s.n_points))

