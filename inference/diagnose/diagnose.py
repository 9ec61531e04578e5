"""``diagnose``: which observables does the generator miss, and could any parameter fix them?

Each step is a function of this package; docs/diagnose.md has the method.
MC errors are those of the unweighted base sample, fixed while the parameters move (see
:class:`_View`). Steps:

1. robust best fit of all selected points inside the limits (:func:`~mlhad.inference.sbi.fit_chi2`,
   pseudo-Huber loss) and the pull of every bin there;
2. predictions over a design of the box (corners, Sobol points, the fit):
   every bin's envelope and irreducible pull (:mod:`.scan`);
3. per observable: chi2 at the fit, smallest chi2 alone anywhere in the box, status
   (``gap`` / ``tension`` / ``ok``) and rank (:mod:`.scores`); optionally the
   weakly supervised data-vs-MC classifier's AUC (:mod:`.classifier`);
4. for every flagged observable, the gap regression and its candidate explanations
   (:mod:`.gapmodel`), and the correlation of each parameter with each observable's
   chi2 over posterior samples (``mlhad sbi`` output) or, without them, the design.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import FitResult, Limits, Observation, Simulator, fit_chi2
from mlhad.inference.sbi.fit import residuals
from mlhad.progress import progress_bar

from .classifier import classify_observable, null_auc
from .config import DiagnoseConfig
from .gapmodel import GapModel, fit_gap_model, parameter_correlations
from .scan import DesignScan, envelope_pulls, scan_design
from .scores import ObservableScore, rank, score_observables

__all__ = ["Diagnosis", "diagnose"]


@dataclass(eq=False)
class Diagnosis:
    """The result of :func:`diagnose`.

    Attributes:
        observation: the data (values possibly replaced by pseudo-data).
        limits: the parameter box.
        fit: the robust best fit; ``chi2_fit`` the plain chi2 fit (the tuner's).
        pulls: ``(m,)`` per-bin pulls ``(d - m) / sigma`` at the best fit.
        irreducible: ``(m,)`` per-bin distance outside the envelope, in sigma.
        scan: the design predictions.
        ranking: the observables, worst first.
        gap_models: ``{path: GapModel}`` for the flagged observables (at most ``max_gaps``).
        correlations: ``(H, d)`` parameter vs observable-chi2 correlations, and their source.
        config: the configuration.
    """

    observation: Observation
    limits: Limits
    fit: FitResult
    chi2_fit: FitResult
    pulls: np.ndarray
    irreducible: np.ndarray
    scan: DesignScan
    ranking: list[ObservableScore]
    gap_models: dict[str, GapModel]
    correlations: np.ndarray
    correlation_source: str
    config: DiagnoseConfig
    posterior_theta: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> list[ObservableScore]:
        return [s for s in self.ranking if s.status != "ok"]

    @property
    def gaps(self) -> list[ObservableScore]:
        """Observables no point of the box describes: the gaps with no obvious explanation."""
        return [s for s in self.ranking if s.status == "gap"]

    def score(self, path: str) -> ObservableScore:
        for s in self.ranking:
            if s.path == path:
                return s
        raise KeyError(f"{path} was not diagnosed")

    def to_dict(self) -> dict[str, Any]:
        index = {h.path: i for i, h in enumerate(self.observation.histograms)}
        rows = []
        for s in self.ranking:
            row = s.to_dict()
            row["correlations"] = dict(zip(self.limits.names, self.correlations[index[s.path]].tolist()))
            if s.path in self.gap_models:
                row["gap_model"] = self.gap_models[s.path].to_dict()
            sl = self.observation.histograms[index[s.path]].slice
            row["pulls"] = self.pulls[sl].tolist()
            row["irreducible_pulls"] = self.irreducible[sl].tolist()
            rows.append(row)
        return {
            "params": list(self.limits.names), "limits": self.limits.to_dict(), "config": self.config.to_dict(),
            "fit": self.fit.to_dict(), "chi2_fit": self.chi2_fit.to_dict(),
            "n_design": int(self.scan.theta.shape[0]), "n_design_uncovered": self.scan.n_uncovered,
            "threshold_p": self.config.alpha / len(self.ranking), "correlation_source": self.correlation_source,
            "observables": rows, "skipped": dict(self.observation.skipped), "timings": self.timings,
        }


def _parameter_samples(fit: FitResult, limits: Limits, rng: np.random.Generator, n: int) -> np.ndarray:
    """Gaussian approximation of the parameter uncertainty at the fit, kept inside the box."""
    cov = fit.covariance
    if not np.all(np.isfinite(cov)):
        return np.repeat(fit.theta[None], n, axis=0)
    draws = rng.multivariate_normal(fit.theta, cov, size=4 * n)
    draws = draws[limits.contains(draws)]
    return draws[:n] if draws.shape[0] >= n else np.concatenate([draws, np.repeat(fit.theta[None], n - len(draws), 0)])


def diagnose(simulator: Simulator, limits: Limits, config: DiagnoseConfig | None = None, *,
             data: np.ndarray | None = None, posterior: np.ndarray | None = None,
             progress: bool = False) -> Diagnosis:
    """Rank the observables by how badly the model describes them and explain the gaps.

    Args:
        simulator: predictions for any point of the box (e.g. a
            :class:`~mlhad.inference.sbi.ReweightingSimulator` of a base sample).
        limits: the parameter box ("any point inside the limits").
        config: settings (default :class:`DiagnoseConfig`).
        data: ``(m,)`` values replacing the observation's (pseudo-data).
        posterior: ``(S, d)`` posterior samples (``mlhad sbi``) for the correlations and
            the classifier's MC class; default: the fit's Gaussian approximation.
        progress: progress bars.

    Raises:
        InferenceError: names that disagree with the simulator, or a box outside the coverage.
    """
    config = config or DiagnoseConfig()
    limits = limits.reorder(simulator.params)
    obs = simulator.observation if data is None else simulator.observation.with_values(data)
    rng = np.random.default_rng(config.seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    start = np.clip(getattr(simulator, "base_point", limits.centre), limits.lower, limits.upper)
    # MC errors fixed at the start (the unweighted base sample's): with errors recomputed at every
    # point, a chi2 falls wherever the weights degrade (larger errors), and "the smallest chi2 in the
    # box" would be found where n_eff is smallest instead of where the prediction comes closest
    base_errors = simulator.predict(start[None, :]).errors[0]
    view = _View(simulator, obs, base_errors)
    fit = fit_chi2(view, obs, limits, start=start, loss=config.loss, f_scale=config.f_scale)
    plain = fit if config.loss == "linear" else fit_chi2(view, obs, limits, start=fit.theta)
    timings["fit"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    scan = scan_design(view, limits, config.n_design, seed=config.seed, extra=fit.theta, progress=progress)
    irreducible = envelope_pulls(obs, scan)
    timings["scan"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    scores = score_observables(view, obs, limits, fit, scan, irreducible, alpha=config.alpha, refine=config.refine)
    timings["scores"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if posterior is not None:
        post = np.asarray(posterior, dtype=np.float64)
        if post.ndim != 2 or post.shape[1] != limits.dim:
            raise InferenceError(f"posterior samples must have shape (S, {limits.dim}), got {post.shape}")
        idx = rng.choice(post.shape[0], size=min(200, post.shape[0]), replace=False)
        p_out = view.predict(post[idx], progress=progress)
        keep = np.all(np.isfinite(p_out.values), axis=1)
        theta_s, values_s, errors_s = post[idx][keep], p_out.values[keep], p_out.errors[keep]
        source = f"{int(keep.sum())} posterior samples"
    else:
        theta_s = _parameter_samples(fit, limits, rng, 100)
        p_out = view.predict(theta_s)
        keep = np.all(np.isfinite(p_out.values), axis=1)
        theta_s, values_s, errors_s = theta_s[keep], p_out.values[keep], p_out.errors[keep]
        source = "the fit's Gaussian approximation"
    # correlations: over the posterior if given (what the data allow), else over the design (what the box allows)
    if posterior is not None:
        corr = parameter_correlations(obs, theta_s, values_s, errors_s)
        corr_source = source
    else:
        corr = parameter_correlations(obs, scan.theta, scan.values, scan.errors)
        corr_source = f"{scan.theta.shape[0]} design points of the box"
    if config.classifier:
        sigma_data = obs.noise_scale(fit.errors)
        sigma_mc = obs.noise_scale(errors_s)
        with progress_bar(total=len(scores), desc="classifier", unit="obs", disable=not progress) as bar:
            for s, h in zip(scores, obs.histograms):
                sl = h.slice
                c = classify_observable(obs.values[sl], sigma_data[sl], values_s[:, sl], sigma_mc[:, sl], rng,
                                        n_replicas=config.n_replicas)
                s.auc, s.auc_error = c.auc, c.error
                s.auc_null, s.auc_null95 = null_auc(s.n_points, seed=config.seed)
                bar.update(1)
    timings["classifier"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ranking = rank(scores)
    index = {h.path: i for i, h in enumerate(obs.histograms)}
    models = {}
    for s in [s for s in ranking if s.status != "ok"][:config.max_gaps]:
        models[s.path] = fit_gap_model(obs, index[s.path], scan.theta, scan.values, scan.errors, fit.theta, limits,
                                       degree=config.degree)
    timings["explain"] = time.perf_counter() - t0
    return Diagnosis(observation=obs, limits=limits, fit=fit, chi2_fit=plain,
                     pulls=residuals(obs, fit.values, fit.errors), irreducible=irreducible, scan=scan, ranking=ranking,
                     gap_models=models, correlations=corr, correlation_source=corr_source, config=config,
                     posterior_theta=theta_s, timings=timings)


class _View:
    """The simulator with the (pseudo-)data of this diagnosis and MC errors fixed at the start."""

    def __init__(self, simulator: Simulator, observation: Observation, errors: np.ndarray) -> None:
        self._sim = simulator
        self._errors = np.asarray(errors, dtype=np.float64)
        self.observation = observation
        self.params = simulator.params
        self.include_mc_error = simulator.include_mc_error

    def predict(self, theta: np.ndarray, *, progress: bool = False):
        out = self._sim.predict(theta, progress=progress)
        errors = np.where(np.isfinite(out.values), self._errors[None, :], np.nan)
        return type(out)(out.theta, out.values, errors, out.n_eff_fraction, out.covered)
