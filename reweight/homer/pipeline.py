"""The HOMER method end to end: :class:`Homer` fits steps 1 and 2 and gives step-3 weights.

    homer = Homer(HomerConfig(seed=1)).fit(sim, data)   # data: a sample or a YODA file
    w = homer.event_weights(sim)                        # step 3, one weight per event
    homer.write_weights(sim, "homer")                   # stored beside the sample
    homer.save("homer/run1")                            # state dicts + config json

Construction does no work; :meth:`Homer.fit` reads the samples, splits each into
training, validation and test events (seeded), trains step 1 (classifier on unbinned
data, maximum-entropy fit on binned data) and step 2 (single-break weights), and keeps
what the report needs (held-out features, weights and diagnostics).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.exceptions import InferenceError, SampleError
from mlhad.io import Sample, open_sample
from mlhad.reweight.base import FragmentationBase

from .binned_fit import BinnedFit, FillStatistics, fit_maxent, sample_fill_statistics
from .binned_targets import BinnedTarget, read_binned_targets
from .breakweight import prepare_breaks
from .calibration import effective_sample_fraction, reliability_curve
from .checks import (check_compatible, check_same_base, check_separability, limit_threads, require_histories,
                     sample_energy)
from .classifier import ClassifierFit, fit_classifier
from .config import HomerConfig
from .features import beam_energy_of, encoder_features, sample_features
from .histories import BreakTable
from .splits import Split, split_events
from .step2 import BreakWeightFit, event_log_weights, fit_break_weights

__all__ = ["Homer", "open_data"]


def open_data(data: Sample | str | Path) -> Sample | Path:
    """A data sample, or the path of a YODA file of measured histograms."""
    if isinstance(data, Sample):
        return data
    path = Path(data)
    if path.is_file():
        return path
    if path.is_dir():
        return open_sample(path)
    raise SampleError(f"data {str(path)!r} is neither a sample directory nor a YODA file; give `mlhad generate` "
                      "output or a .yoda file of measured histograms")


class Homer:
    """Histories and Observables for Monte-Carlo Event Reweighting (arXiv 2410.06342).

    Args:
        config: the run's settings (default: :class:`HomerConfig` defaults).
        progress: progress bars (also silenced by MLHAD_NO_PROGRESS=1).
        encoder: an ``mlhad.encoder.PETEncoder`` to embed events with when
            ``config.step1.features == "encoder"`` (default: load ``encoder_checkpoint``).

    Attributes (after :meth:`fit`):
        mode: ``"unbinned"`` or ``"binned"``.
        base: the simulation's fragmentation parameters.
        classifier: step-1 classifier (unbinned); binned_fit, targets: step 1 on histograms.
        break_fit: step-2 model and its training history.
        sim_split, data_split: the event splits (data_split None for binned data).
        held_out: features and weights of the test events, for reports.
        diagnostics: numbers describing the run (AUC, calibration, n_eff, timings...).
    """

    def __init__(self, config: HomerConfig | None = None, *, progress: bool = True, encoder: Any = None) -> None:
        self.config = config or HomerConfig()
        self.progress = progress
        self.encoder = encoder
        self.mode: str | None = None
        self.base: FragmentationBase | None = None
        self.classifier: ClassifierFit | None = None
        self.binned_fit: BinnedFit | None = None
        self.targets: list[BinnedTarget] = []
        self.skipped_histograms: list[tuple[str, str]] = []
        self.break_fit: BreakWeightFit | None = None
        self.sim_split: Split | None = None
        self.data_split: Split | None = None
        self.held_out: dict[str, Any] = {}
        self.diagnostics: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def __repr__(self) -> str:
        state = "fitted" if self.break_fit is not None else "not fitted"
        return f"Homer({state}, mode={self.mode!r}, seed={self.config.seed})"

    # -- step 1 ---------------------------------------------------------------------------
    def _features(self, sample: Sample, n: int) -> np.ndarray:
        c = self.config.step1
        if c.features == "encoder":
            return encoder_features(sample, model=self.encoder, checkpoint=c.encoder_checkpoint, max_events=n,
                                    progress=self.progress)
        return sample_features(sample, c.observables, max_events=n, progress=self.progress)

    def _prepare_unbinned(self, sim: Sample, data: Sample, n_sim: int) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        n_data = data.n_events if cfg.max_events is None else min(cfg.max_events, data.n_events)
        self.data_split = split_events(n_data, cfg.validation_fraction, cfg.test_fraction, cfg.seed + 1)
        x_sim, x_data = self._features(sim, n_sim), self._features(data, n_data)
        names = list(cfg.step1.observables) if cfg.step1.features == "observables" else [
            f"embedding_{i}" for i in range(x_sim.shape[1])]
        self.held_out.update(x_sim=x_sim[self.sim_split.test], x_data=x_data[self.data_split.test],
                             feature_names=names)
        return x_sim, x_data

    def _step1_unbinned(self, x_sim: np.ndarray, x_data: np.ndarray, prior: np.ndarray, iteration: int
                        ) -> tuple[np.ndarray, dict[str, Any]]:
        """Residual log w_class of every simulated event, given the simulation's current weights."""
        cfg = self.config
        s, d = self.sim_split, self.data_split
        self.classifier = fit_classifier(x_sim[s.train], x_data[d.train], x_sim[s.val], x_data[d.val], cfg.step1,
                                         seed=cfg.seed + 100 * iteration, progress=self.progress,
                                         sim_weights=(prior[s.train], prior[s.val]))
        raw = np.r_[self.classifier.logits(x_sim[s.test]), self.classifier.logits(x_data[d.test])]
        labels = np.r_[np.zeros(s.test.size), np.ones(d.test.size)]
        w_test = prior[s.test]
        weights = np.r_[w_test * labels.size / (2 * w_test.sum()), np.full(d.test.size, labels.size / (2 * d.test.size))]
        calibrated = self.classifier.platt(raw)
        from sklearn.metrics import roc_auc_score

        info = {
            "auc_test": float(roc_auc_score(labels, calibrated, sample_weight=weights)),
            "n_test": [int(s.test.size), int(d.test.size)],
            "platt": [self.classifier.platt.slope, self.classifier.platt.offset],
            "reliability_raw": reliability_curve(1 / (1 + np.exp(-raw)), labels, weights).to_dict(),
            "reliability_calibrated": reliability_curve(1 / (1 + np.exp(-calibrated)), labels, weights).to_dict(),
            "history": self.classifier.history.to_dict(),
        }
        if iteration == 0:
            info["degenerate"] = check_separability(
                info["auc_test"], int(d.test.size), int(s.test.size), auc_max=cfg.step1.auc_max,
                null_sigmas=cfg.step1.auc_null_sigmas, on_degenerate=cfg.on_degenerate)
        return self.classifier.log_weights(x_sim), info

    def _prepare_binned(self, sim: Sample, path: Path, n_sim: int) -> FillStatistics:
        cfg = self.config
        self.targets, self.skipped_histograms = read_binned_targets(path, cfg.binned.histograms)
        _, energy = sample_energy(sim)
        from mlhad.registry import analysis

        for t in self.targets:
            sqrt_s = analysis(t.entry.analysis).sqrt_s
            if not np.isclose(sqrt_s, energy, rtol=1e-3):
                raise SampleError(
                    f"data histogram {t.path} was measured at sqrt(s) = {sqrt_s} GeV but the simulation "
                    f"({sim.path}) is at {energy} GeV; generate the simulation at {sqrt_s} GeV"
                )
        stats = sample_fill_statistics(sim, self.targets, beam_energy=beam_energy_of(sim), max_events=n_sim,
                                       progress=self.progress)
        self.held_out.update(stats_test=stats.select(self.sim_split.test))
        return stats

    def _step1_binned(self, stats: FillStatistics, prior: np.ndarray, iteration: int
                      ) -> tuple[np.ndarray, dict[str, Any]]:
        cfg = self.config
        s = self.sim_split
        self.binned_fit = fit_maxent(stats.select(s.fit), self.targets, cfg.binned,
                                     base_log_weights=np.log(prior[s.fit]))
        fit = self.binned_fit
        info: dict[str, Any] = {"chi2_before": fit.chi2_before, "chi2_after": fit.chi2_after,
                                "n_points": fit.n_points, "ridge": fit.ridge, "histograms": fit.paths,
                                "skipped": self.skipped_histograms}
        message = None
        if iteration == 0 and fit.ridge is None:
            message = (f"the unweighted simulation already describes the {fit.n_points} measured points "
                       f"(chi2 = {fit.chi2_before:.1f} <= n): there is nothing to learn and HOMER's weights are 1")
        elif iteration == 0 and fit.chi2_after > 3.0 * fit.n_points:
            message = (f"reweighting cannot make the simulation describe the data: chi2 = {fit.chi2_after:.1f} for "
                       f"{fit.n_points} points after the fit. The data lie where the simulation has (almost) no "
                       "events; the weights would be meaningless. Start from a simulation closer to the data")
        if message is not None:
            import warnings

            from .checks import DegenerateClassifierWarning

            if cfg.on_degenerate == "raise":
                raise InferenceError(message)
            warnings.warn(message, DegenerateClassifierWarning, stacklevel=3)
        if iteration == 0:
            info["degenerate"] = message
        return fit.log_weights(stats), info

    # -- the whole fit ----------------------------------------------------------------------
    def fit(self, sim: Sample | str | Path, data: Sample | str | Path) -> Homer:
        """Run steps 1 and 2 (``config.iterations`` times).

        Args:
            sim: the simulation, with fragmentation histories (sample or its directory).
            data: the data: a sample (unbinned; histories not needed) or a YODA file of
                measured histograms known to mlhad.registry (binned).

        Returns:
            self, fitted.

        Raises:
            SampleError: no histories, or simulation and data of different process/energy.
            InferenceError: step 1 found nothing to learn or no overlap (on_degenerate="raise").
        """
        cfg = self.config
        start = time.perf_counter()
        sim = sim if isinstance(sim, Sample) else open_sample(sim)
        data = open_data(data)
        require_histories(sim)
        self.sources = {"sim": str(sim.path), "data": str(data.path if isinstance(data, Sample) else data)}
        self.held_out, self.diagnostics = {}, {}
        seconds = {"step1": 0.0, "step2": 0.0}
        with limit_threads(cfg.threads):
            self.base = FragmentationBase.from_metadata(sim.metadata, source=str(sim.path))
            n_sim = sim.n_events if cfg.max_events is None else min(cfg.max_events, sim.n_events)
            self.sim_split = split_events(n_sim, cfg.validation_fraction, cfg.test_fraction, cfg.seed)
            t0 = time.perf_counter()
            if isinstance(data, Sample):
                self.mode = "unbinned"
                self.diagnostics["settings_differing"] = check_compatible(sim, data)
                x_sim, x_data = self._prepare_unbinned(sim, data, n_sim)
            else:
                self.mode = "binned"
                stats = self._prepare_binned(sim, data, n_sim)
            seconds["step1"] += time.perf_counter() - t0
            table = BreakTable.from_sample(sim, max_events=n_sim, progress=self.progress)
            s = self.sim_split
            tables = {"train": table.select(s.train), "val": table.select(s.val), "test": table.select(s.test)}
            prepared_all = None
            prior_log = np.zeros(n_sim)  # the simulation's current log weights (previous iteration)
            rounds = []
            for iteration in range(cfg.iterations):
                t0 = time.perf_counter()
                if self.mode == "unbinned":
                    residual, info = self._step1_unbinned(x_sim, x_data, np.exp(prior_log), iteration)
                else:
                    residual, info = self._step1_binned(stats, np.exp(prior_log), iteration)
                target_log = prior_log + residual
                target_log -= np.logaddexp.reduce(target_log[s.fit]) - np.log(s.fit.size)  # mean 1
                t1 = time.perf_counter()
                self.break_fit = fit_break_weights(
                    tables["train"], np.exp(target_log[s.train]), tables["val"], np.exp(target_log[s.val]),
                    self.base, cfg.step2, seed=cfg.seed + 100 * iteration, progress=self.progress,
                    init=self.break_fit.model if self.break_fit is not None else None)
                t2 = time.perf_counter()
                if prepared_all is None:
                    prepared_all = prepare_breaks(table, self.break_fit.model)
                prior_log = event_log_weights(self.break_fit.model, prepared_all)
                seconds["step1"] += t1 - t0
                seconds["step2"] += t2 - t1
                w_test = np.exp(prior_log[s.test])
                info.update({"step2_history": self.break_fit.history.to_dict(),
                             "n_eff_homer_test": effective_sample_fraction(w_test),
                             "n_eff_target_test": effective_sample_fraction(np.exp(target_log[s.test])),
                             "corr_log_homer_vs_target_test": float(np.corrcoef(prior_log[s.test],
                                                                                target_log[s.test])[0, 1])})
                rounds.append(info)
                self.held_out.setdefault("iterations", []).append(
                    {"log_w_class": target_log[s.test], "log_w_homer": prior_log[s.test]})
        self.held_out.update(sim_test=s.test, log_w_class=target_log[s.test], log_w_homer=prior_log[s.test],
                             test_table=tables["test"])
        log_w_homer = prior_log[s.test]
        self.diagnostics.update({
            "mode": self.mode, "n_sim": int(n_sim), "sources": self.sources, "iterations": rounds,
            "step1": rounds[0], "step2": {"history": self.break_fit.history.to_dict()},
            "test": {
                "n_eff_class": effective_sample_fraction(np.exp(target_log[s.test])),
                "n_eff_homer": effective_sample_fraction(np.exp(log_w_homer)),
                "mean_homer": float(np.mean(np.exp(log_w_homer))),
                "corr_log_homer_vs_class": float(np.corrcoef(log_w_homer, target_log[s.test])[0, 1]),
            },
            "seconds": {**seconds, "total": time.perf_counter() - start},
        })
        return self

    # -- step 3 ---------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if self.break_fit is None:
            raise InferenceError("this Homer is not fitted: call .fit(sim, data) or Homer.load(run_directory) first")

    def event_weights(self, sample: Sample | str | Path, *, max_events: int | None = None,
                      chains: str | None = None) -> np.ndarray:
        """Step 3: HOMER event weights of a sample from its histories.

        Args:
            sample: a sample generated at the simulation's fragmentation parameters.
            max_events: only the first events (chunk order).
            chains: ``"accepted"`` or ``"history"`` (see :mod:`.step2`); default: as trained.

        Returns:
            (n_events,) float64 weights.
        """
        self._require_fitted()
        sample = sample if isinstance(sample, Sample) else open_sample(sample)
        require_histories(sample, "sample to weight")
        check_same_base(sample, self.base)
        with limit_threads(self.config.threads):
            table = BreakTable.from_sample(sample, max_events=max_events, progress=self.progress)
            prepared = prepare_breaks(table, self.break_fit.model)
            return np.exp(event_log_weights(self.break_fit.model, prepared, chains=chains))

    def write_weights(self, sample: Sample | str | Path, name: str = "homer", *, overwrite: bool = False,
                      metadata: dict[str, Any] | None = None) -> Path:
        """Store HOMER weights beside a sample as the column set ``name`` (column ``weight``).

        Returns:
            The column-set directory.
        """
        import awkward as ak

        sample = sample if isinstance(sample, Sample) else open_sample(sample)
        w = self.event_weights(sample)
        bounds = np.cumsum([0] + [c.n_events for c in sample.chunks])
        per_chunk = [ak.Array({"weight": w[a:b]}) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        info = {"method": "HOMER (arXiv 2410.06342)", "config": self.config.to_dict(), "sources": self.sources,
                "mean": float(w.mean()), "n_eff_fraction": effective_sample_fraction(w)}
        info.update(metadata or {})
        return sample.write_column_set(name, per_chunk, metadata=info, overwrite=overwrite)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path, *, overwrite: bool = False) -> Path:
        """Write state dicts and JSON configs to ``directory`` (see :mod:`.persist`)."""
        from .persist import save_homer

        return save_homer(self, directory, overwrite=overwrite)

    @classmethod
    def load(cls, directory: str | Path, *, progress: bool = True) -> Homer:
        """A fitted Homer from :meth:`save`'s output (steps 1 and 2 models)."""
        from .persist import load_homer

        return load_homer(directory, progress=progress)

    def class_log_weights_of(self, stats_or_features: FillStatistics | np.ndarray) -> np.ndarray:
        """Step-1 log weights of events (features for unbinned, fill statistics for binned)."""
        if self.mode == "binned" and self.binned_fit is not None:
            return self.binned_fit.log_weights(stats_or_features)
        if self.classifier is None:
            raise InferenceError("no step-1 model: fit or load a Homer first")
        return self.classifier.log_weights(stats_or_features)
