"""Tune generator parameters to reference data (imported as ``mlhad.inference.tune``).

What to use when:
    * :func:`tune` with a :class:`TuneConfig` -- the whole job (``mlhad tune`` calls it):
      read data, limits and weights, fit, write ``tune.json``, ``tune.cmnd``, tables, plots.
    * :func:`fit_gradient` -- the gradient method: quasi-Newton on the exactly reweighted
      chi2, regenerating the base run when its n_eff/N falls to the trust-region limit.
    * :func:`fit_surrogate` / :func:`fit_optuna` -- the Professor-style and black-box
      baselines, same inputs and :class:`TuneResult`.
    * :func:`demo_tune` -- a fast fit of the shipped ALEPH data (a few minutes on 2 cores).
    * :class:`PythiaSimulator` / :class:`ToySimulator` -- the generators behind the
      :class:`Simulator` protocol; :func:`pseudo_data` -- closure-test data.

Example::

    from mlhad.inference.tune import TuneConfig, tune
    result = tune(TuneConfig(data=("rivet_data/ALEPH_1996_S3486095.yoda",),
                             params=("aLund", "bLund", "sigma"), base="runs/monash", out="tunes/aleph"))
    print(result.summary())

The objective is :mod:`mlhad.inference.objective` (Professor's chi2); the file formats
are in :mod:`mlhad.inference.professor_files`. Details: docs/tune.md.
"""

from __future__ import annotations

from .blackbox import OptunaSettings, fit_optuna
from .closure import pseudo_data, pulls, write_pseudo_data
from .config import DEFAULT_EVENTS, METHODS, TuneConfig
from .demo import demo_tune
from .errors import Scan, correlation, covariance_from_hessian, fisher_limit, quadratic_fit, scan_1d
from .gradient import GradientSettings, fit_gradient, minimise_reweighted
from .pythia import PythiaSimulator
from .result import RunPoint, TuneResult
from .reweighted import ReweightedObjective
from .run import read_reference, run_method, torch_threads, tune
from .simulator import SimulationRun, Simulator, at_reference, run_chi2
from .space import DEFAULT_RANGES, MONASH, ParameterSpace, build_space
from .surrogate import PolynomialSurrogate, SurrogateSettings, fit_surrogate
from .toy import ToySimulator

__all__ = [
    "tune",
    "TuneConfig",
    "TuneResult",
    "demo_tune",
    "fit_gradient",
    "fit_surrogate",
    "fit_optuna",
    "GradientSettings",
    "SurrogateSettings",
    "OptunaSettings",
    "minimise_reweighted",
    "ReweightedObjective",
    "PolynomialSurrogate",
    "PythiaSimulator",
    "ToySimulator",
    "Simulator",
    "SimulationRun",
    "RunPoint",
    "ParameterSpace",
    "build_space",
    "read_reference",
    "run_method",
    "at_reference",
    "run_chi2",
    "pseudo_data",
    "write_pseudo_data",
    "pulls",
    "Scan",
    "scan_1d",
    "covariance_from_hessian",
    "correlation",
    "fisher_limit",
    "quadratic_fit",
    "torch_threads",
    "METHODS",
    "DEFAULT_EVENTS",
    "DEFAULT_RANGES",
    "MONASH",
]
