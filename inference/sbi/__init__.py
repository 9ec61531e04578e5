"""Simulation-based inference of string-fragmentation parameters (``mlhad.inference.sbi``).

What to use when:
    * :func:`run_sbi` -- data YODA files + a base sample + limits -> posterior, MAP,
      posterior predictive check, SBC and coverage, written report (``mlhad sbi``).
    * :func:`infer` -- the same for any :class:`Simulator` and an in-memory
      observation (closure tests with pseudo-data, toy simulators).
    * :class:`ReweightingSimulator` -- predictions for many points by exact reweighting
      of one base sample, with the n_eff guard; :class:`PythiaSimulator` -- fresh
      Pythia runs (local processes or Dask), for any Pythia parameter.
    * :func:`read_references`, :func:`build_observation` -- the data vector, and the
      objects that were skipped with the reason.
    * :class:`Limits`, :func:`parse_limits`, :func:`read_limits` -- the prior box.
    * :func:`sbc_ranks`, :func:`rank_uniformity`, :func:`central_coverage`,
      :func:`hpd_coverage` -- calibration statistics on any posterior samples;
      :func:`run_sbc`, :func:`run_fixed_point` -- run them for a trained posterior.

The stochastic model (data noise plus the base sample's MC error) is explained in
:mod:`mlhad.inference.sbi.simulator`; the method, choices and calibration results in
docs/sbi.md.
"""

from __future__ import annotations

from .batch_predict import BatchedPredictor
from .batch_weights import BatchedWeights
from .calibrate import CalibrationResult, run_fixed_point, run_sbc, simulate_summaries
from .calibration import central_coverage, hpd_coverage, rank_uniformity, sbc_ranks
from .config import SBIConfig
from .coverage import CoverageThresholds, weight_health
from .estimators import METHODS, MIN_SIMULATIONS, EstimatorSettings, TrainedEstimator, train_estimator
from .fit import FitResult, fit_chi2, jacobian
from .infer import SBIResult, infer
from .limits import Limits, parse_limits, read_limits
from .observation import HistogramSelection, Observation, build_observation, read_references
from .posterior import posterior_map, sample_posterior, sample_posteriors
from .ppc import PosteriorPredictive, posterior_predictive
from .pythia_sim import PythiaSimulator
from .report import write_sbi_report
from .reweighting import ReweightingSimulator
from .run import load_observation, run_sbi
from .simulator import Simulator, SimulatorOutput, pseudo_observations
from .summaries import BinsSummary, ScoreSummary

__all__ = [
    "run_sbi", "infer", "load_observation", "write_sbi_report",
    "SBIConfig", "SBIResult", "EstimatorSettings", "TrainedEstimator", "train_estimator", "METHODS",
    "MIN_SIMULATIONS",
    "Limits", "parse_limits", "read_limits",
    "Observation", "HistogramSelection", "read_references", "build_observation",
    "Simulator", "SimulatorOutput", "ReweightingSimulator", "PythiaSimulator", "pseudo_observations",
    "BatchedWeights", "BatchedPredictor", "CoverageThresholds", "weight_health",
    "ScoreSummary", "BinsSummary", "FitResult", "fit_chi2", "jacobian",
    "sample_posterior", "sample_posteriors", "posterior_map",
    "PosteriorPredictive", "posterior_predictive",
    "CalibrationResult", "run_sbc", "run_fixed_point", "simulate_summaries",
    "sbc_ranks", "rank_uniformity", "central_coverage", "hpd_coverage",
]
