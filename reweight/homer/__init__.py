"""HOMER: hadronization weights learned from data through histories and observables.

Histories and Observables for Monte-Carlo Event Reweighting (Bierlich et al.,
arXiv 2410.06342, SciPost Phys. 18 (2025) 054; iterative version arXiv 2509.03592)
extracts the string fragmentation function from data in three steps:

1. **Event weights from observables** -- a classifier between the simulation and data
   gives w_class(x) = p / (1 - p) (:mod:`.classifier`, calibration in
   :mod:`.calibration`); data given only as binned histograms get maximum-entropy event
   weights instead (:mod:`.binned_fit`).
2. **Single-break weights** -- a network g(z | c) whose product over all string breaks
   of an event's history reproduces w_class (:mod:`.step2`), normalised exactly against
   the simulated z density so that each single-break weight is a proper density ratio
   (:mod:`.normalisation`, :mod:`.breakweight`).
3. **Reweighting** -- per-event weights from the histories of any sample generated at
   the simulation's parameters (:meth:`Homer.event_weights`, :meth:`Homer.write_weights`).

What to use when:
    * :class:`Homer` -- the whole method: ``Homer(HomerConfig()).fit(sim, data)``, then
      ``event_weights``, ``write_weights``, ``save`` / ``Homer.load``.
    * :func:`write_report` -- markdown + PNG report of a fitted run (losses, calibration,
      weights, observables with ratio panels, learned vs exact single-break weights).
    * :func:`fit_classifier`, :func:`fit_maxent`, :func:`fit_break_weights` -- the steps
      one at a time, on arrays.
    * :func:`compare_observable` / :func:`closure_summary` -- closure numbers (pulls,
      fraction of bins within errors).

Details, choices and measured closure numbers: docs/homer.md.
"""

from __future__ import annotations

from .binned_fit import BinnedFit, FillStatistics, fill_statistics, fit_maxent, measure, sample_fill_statistics
from .binned_targets import BinnedTarget, read_binned_targets, targets_from_objects, write_targets
from .breakweight import BreakWeightNet, prepare_breaks
from .calibration import Platt, effective_sample_fraction, fit_platt, reliability_curve, roc_auc
from .checks import DegenerateClassifierWarning
from .classifier import ClassifierFit, fit_classifier
from .closure import ObservableComparison, closure_summary, compare_observable
from .config import DEFAULT_OBSERVABLES, BinnedConfig, BreakWeightConfig, ClassifierConfig, HomerConfig
from .features import event_features, sample_features
from .histories import BreakTable
from .normalisation import NormalisationGrid
from .pipeline import Homer
from .report import write_report
from .step2 import BreakWeightFit, break_log_weights, event_log_weights, fit_break_weights, history_loss

__all__ = [
    "BinnedConfig", "BinnedFit", "BinnedTarget", "BreakTable", "BreakWeightConfig", "BreakWeightFit",
    "BreakWeightNet", "ClassifierConfig", "ClassifierFit", "DEFAULT_OBSERVABLES", "DegenerateClassifierWarning",
    "FillStatistics", "Homer", "HomerConfig", "NormalisationGrid", "ObservableComparison", "Platt",
    "break_log_weights", "closure_summary", "compare_observable", "effective_sample_fraction", "event_features",
    "event_log_weights", "fill_statistics", "fit_break_weights", "fit_classifier", "fit_maxent", "fit_platt",
    "history_loss", "measure", "prepare_breaks", "read_binned_targets", "reliability_curve", "roc_auc",
    "sample_features", "sample_fill_statistics", "targets_from_objects", "write_report", "write_targets",
]
