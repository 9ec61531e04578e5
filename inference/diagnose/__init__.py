"""Mismodelling diagnosis: which observables no generator parameter can describe (``mlhad.inference.diagnose``).

What to use when:
    * :func:`run_diagnose` -- data YODA files + a base sample -> ranked report with
      plots (``mlhad diagnose``).
    * :func:`diagnose` -- the same for any simulator and in-memory (pseudo-)data.
    * :func:`scan_design`, :func:`envelope_pulls` -- what any point of the box predicts.
    * :func:`score_observables`, :func:`rank` -- chi2 decomposition, status, ranking.
    * :func:`classify_observable` -- the weakly supervised data-vs-MC classifier.
    * :func:`fit_gap_model` -- the regression of ``data/MC - 1`` on the observable and
      the parameters, with candidate explanations.
    * :func:`default_limits` -- the largest box a base sample covers.

Method and closure tests: docs/diagnose.md.
"""

from __future__ import annotations

from .classifier import ClassifierScore, auc_from_chi2, auc_standard_error, classify_observable, null_auc
from .config import DiagnoseConfig
from .diagnose import Diagnosis, diagnose
from .gapmodel import Explanation, GapModel, fit_gap_model, parameter_correlations
from .plots import plot_gap
from .report import markdown_ranking, write_diagnosis_report
from .run import default_limits, read_posterior, run_diagnose
from .scan import DesignScan, design_points, envelope_pulls, scan_design
from .scores import ObservableScore, rank, score_observables, sub_observation

__all__ = [
    "run_diagnose", "diagnose", "Diagnosis", "DiagnoseConfig", "default_limits", "read_posterior",
    "scan_design", "design_points", "envelope_pulls", "DesignScan",
    "score_observables", "rank", "ObservableScore", "sub_observation",
    "classify_observable", "ClassifierScore", "auc_standard_error", "auc_from_chi2", "null_auc",
    "fit_gap_model", "GapModel", "Explanation", "parameter_correlations",
    "write_diagnosis_report", "markdown_ranking", "plot_gap",
]
