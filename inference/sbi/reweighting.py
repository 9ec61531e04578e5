"""The reweighting simulator: predictions for any parameter point from one base sample.

For a batch of points it computes the exact event weights of the base sample
(:class:`~.batch_weights.BatchedWeights`, the same formula as
:class:`mlhad.reweight.LundReweighter`), fills and normalises every selected histogram
for all of them at once (:class:`~.batch_predict.BatchedPredictor`, the same numbers as
:func:`mlhad.analysis.predict`), and applies the n_eff guard (:mod:`.coverage`): points
the sample does not cover are flagged (``covered = False``) and, with
``on_uncovered="nan"``, their values are NaN so that they cannot be used by mistake.

The predictions are deterministic given the base sample; the noise of a
pseudo-observation is added by :func:`~.simulator.pseudo_observations`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mlhad.analysis import Contributions
from mlhad.exceptions import InferenceError
from mlhad.io import Sample
from mlhad.progress import progress_bar
from mlhad.reweight import reweighter_from_sample

from .batch_predict import BatchedPredictor
from .batch_weights import BatchedWeights
from .coverage import CoverageThresholds, covered_mask, weight_health
from .limits import Limits
from .observation import Observation
from .simulator import SimulatorOutput
from .threads import limited_threads

__all__ = ["ReweightingSimulator", "LimitsCoverage"]

_ON_UNCOVERED = ("flag", "nan", "raise")


class LimitsCoverage:
    """Result of :meth:`ReweightingSimulator.check_limits`: the corners and their n_eff/N."""

    def __init__(self, corners: np.ndarray, n_eff: np.ndarray, covered: np.ndarray, names: Sequence[str]) -> None:
        self.corners, self.n_eff, self.covered, self.names = corners, n_eff, covered, list(names)

    @property
    def ok(self) -> bool:
        return bool(np.all(self.covered))

    def describe(self, limit: int = 4) -> str:
        bad = np.flatnonzero(~self.covered)
        items = []
        for i in bad[np.argsort(self.n_eff[bad])][:limit]:
            point = ", ".join(f"{n.split(':')[-1]}={v:.4g}" for n, v in zip(self.names, self.corners[i]))
            items.append(f"({point}): n_eff/N = {self.n_eff[i]:.3f}")
        return f"{bad.size} of {self.covered.size} corners are not covered: " + "; ".join(items)


class ReweightingSimulator:
    """Predictions of an observation for many parameter points by reweighting a base sample.

    Args:
        sample: the base sample (generated with histories).
        observation: the data vector to predict.
        contributions: ``{analysis: Contributions}`` of ``sample`` (same events, same
            reference binning as the observation).
        params: the varied parameters (names or aliases); theta's columns follow
            :attr:`params`, Pythia's canonical order (:data:`mlhad.reweight.PARAMETERS`).
        thresholds: the n_eff guard.
        on_uncovered: ``"flag"`` (keep values, mark ``covered = False``), ``"nan"``
            (also set the values to NaN) or ``"raise"`` (InferenceError).
        batch_size: points per weight matrix (memory: ``batch_size * n_events`` doubles).
        n_nodes: mT2 grid nodes of the Lund normalisation per flavour class; 128 keeps
            the interpolation error of log w below 3e-7 per event (measured against
            512 nodes), far below any statistical effect, at a quarter of the cost.
        threads: torch/BLAS threads while predicting (None: unchanged).

    Raises:
        InferenceError: a parameter that cannot be reweighted, or contributions that do
            not belong to the sample.
    """

    include_mc_error = True

    def __init__(self, sample: Sample, observation: Observation, contributions: Mapping[str, Contributions],
                 params: Sequence[str], *, thresholds: CoverageThresholds | None = None, on_uncovered: str = "nan",
                 batch_size: int = 32, n_nodes: int = 128, threads: int | None = 1) -> None:
        from mlhad.exceptions import ReweightError

        if on_uncovered not in _ON_UNCOVERED:
            raise InferenceError(f"on_uncovered must be one of {_ON_UNCOVERED}, got {on_uncovered!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InferenceError(f"batch_size must be a positive integer, got {batch_size!r}")
        try:
            reweighter = reweighter_from_sample(sample, list(params), n_nodes=n_nodes)
        except ReweightError as err:
            raise InferenceError(f"cannot infer {list(params)} by reweighting {sample.path}: {err}; "
                                 "use fresh Pythia runs (simulator='pythia') for such parameters") from err
        self.params = tuple(reweighter.params)
        if len(self.params) != len(params):
            raise InferenceError(f"parameters {list(params)} resolve to {list(self.params)}; give each once")
        self.observation = observation
        self.thresholds = thresholds or CoverageThresholds()
        self.on_uncovered = on_uncovered
        self.batch_size = batch_size
        self.threads = threads
        self.sample_path = str(sample.path)
        self.weights = BatchedWeights(reweighter)
        base = reweighter.base.point()
        self.base_point = np.array([base[p] for p in self.params])
        self._predictors: list[tuple[BatchedPredictor, np.ndarray]] = []
        for name in observation.analyses:
            if name not in contributions:
                raise InferenceError(f"no contributions for {name}; compute them with "
                                     f"mlhad.analysis.analysis_contributions(sample, {name!r}, reference=...)")
            contrib = contributions[name]
            if contrib.n_events != self.weights.n_events:
                raise InferenceError(f"the contributions of {name} hold {contrib.n_events} events but the sample "
                                     f"{sample.path} has {self.weights.n_events}; compute them from the same sample")
            hists = [h for h in observation.histograms if h.analysis == name]
            predictor = BatchedPredictor(contrib, [h.path for h in hists], points={h.path: h.points for h in hists})
            where = np.concatenate([np.arange(h.start, h.stop) for h in hists])
            self._predictors.append((predictor, where))

    @property
    def n_events(self) -> int:
        return self.weights.n_events

    def _batch(self, theta: np.ndarray) -> SimulatorOutput:
        w = self.weights.weights(theta)
        health = weight_health(w)
        ok = covered_mask(health, self.thresholds, self.n_events)
        m = self.observation.n_points
        values = np.full((theta.shape[0], m), np.nan)
        errors = np.full((theta.shape[0], m), np.nan)
        finite = health.finite
        if finite.any():
            for predictor, where in self._predictors:
                v, e = predictor.predict(w[finite])
                values[np.ix_(finite, where)] = v
                errors[np.ix_(finite, where)] = e
        if self.on_uncovered == "nan":
            values[~ok] = np.nan
        return SimulatorOutput(theta, values, errors, health.n_eff_fraction, ok)

    def predict(self, theta: np.ndarray, *, progress: bool = False) -> SimulatorOutput:
        """Predictions for ``(K, d)`` points (columns in the order of :attr:`params`).

        Raises:
            InferenceError: bad theta, or (``on_uncovered="raise"``) an uncovered point.
        """
        th = self.weights.check_theta(theta)
        parts = []
        with limited_threads(self.threads), progress_bar(total=th.shape[0], unit="pt", desc="reweight",
                                                         disable=not progress) as bar:
            for start in range(0, th.shape[0], self.batch_size):
                part = self._batch(th[start:start + self.batch_size])
                parts.append(part)
                bar.update(part.n)
        out = SimulatorOutput.concatenate(parts)
        if self.on_uncovered == "raise" and not out.covered.all():
            i = int(np.flatnonzero(~out.covered)[0])
            point = dict(zip(self.params, out.theta[i].tolist()))
            raise InferenceError(
                f"{int((~out.covered).sum())} of {out.n} points lie outside the coverage of {self.sample_path} "
                f"(first {point}: n_eff/N = {out.n_eff_fraction[i]:.3f} < {self.thresholds.min_n_eff} or a dominant "
                "weight); narrow the limits or generate a base sample closer to them"
            )
        return out

    # -- the prior box and the n_eff guard ---------------------------------------------------
    def _check_names(self, limits: Limits) -> None:
        if tuple(limits.names) != self.params:
            raise InferenceError(f"the limits name {list(limits.names)} but the simulator varies {list(self.params)} "
                                 "(same parameters, same order)")

    def check_limits(self, limits: Limits) -> LimitsCoverage:
        """n_eff/N at the corners of a box (where coverage fails first)."""
        self._check_names(limits)
        corners = limits.corners()
        w = self.weights.weights(corners)
        health = weight_health(w)
        return LimitsCoverage(corners, health.n_eff_fraction, covered_mask(health, self.thresholds, self.n_events),
                              self.params)

    def suggest_limits(self, limits: Limits, *, steps: int = 8) -> Limits | None:
        """The box shrunk towards the base point by the largest factor whose corners are covered.

        Bisection on the factor in (0, 1] (``steps`` halvings: 8 fix it to 0.4 %); None if even a box of
        ``2**-steps`` of the size is not covered (the base point lies far outside).
        """
        self._check_names(limits)
        if self.check_limits(limits).ok:
            return limits
        lo, hi = 0.0, 1.0
        for _ in range(steps):
            mid = 0.5 * (lo + hi)
            if self.check_limits(limits.shrink_towards(self.base_point, mid)).ok:
                lo = mid
            else:
                hi = mid
        if lo <= 0:
            return None
        box = limits.shrink_towards(self.base_point, lo)
        # round inwards to two digits below the width's order of magnitude: readable, still covered
        step = 10.0 ** (np.floor(np.log10(box.width)) - 2)
        low = np.ceil(box.lower / step - 1e-9) * step
        high = np.floor(box.upper / step + 1e-9) * step
        return Limits(box.names, tuple(np.round(low, 12).tolist()), tuple(np.round(high, 12).tolist()))

    def require_covered(self, limits: Limits) -> LimitsCoverage:
        """Raise unless every corner of ``limits`` is covered (the prior's n_eff guard).

        Raises:
            InferenceError: names the uncovered corners and proposes covered limits.
        """
        report = self.check_limits(limits)
        if report.ok:
            return report
        suggestion = self.suggest_limits(limits)
        hint = (f"limits the sample covers, shrunk towards its base point: {suggestion.as_text()}"
                if suggestion is not None else "the base point itself is outside: generate a base sample inside the box")
        raise InferenceError(
            f"the prior box reaches outside what {self.sample_path} can describe by reweighting "
            f"(thresholds {self.thresholds.to_dict()}): {report.describe()}; use {hint}, or generate a base "
            "sample nearer to the box (or accept flagged points with on_uncovered='flag')"
        )
