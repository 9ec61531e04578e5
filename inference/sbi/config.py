"""The configuration of one inference run (frozen, validated on construction, written with every output)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlhad.exceptions import InferenceError

from .estimators import EstimatorSettings
from .limits import Limits
from .summaries import SUMMARIES

__all__ = ["SBIConfig", "SIMULATORS"]

SIMULATORS = ("reweight", "pythia")


def _positive_int(name: str, value: Any, *, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InferenceError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class SBIConfig:
    """What an inference run does.

    Attributes:
        limits: the prior box.
        n_simulations: training simulations (see :data:`.estimators.MIN_SIMULATIONS`).
        simulator: ``reweight`` (the base sample, default) or ``pythia`` (fresh runs).
        summary: ``score`` (linear compression to one number per parameter, default)
            or ``bins`` (every reference point).
        estimator: the network and its training.
        n_posterior_samples: samples of the posterior of the data.
        n_ppc: posterior samples used by the posterior predictive check.
        n_sbc: SBC pseudo-experiments over the prior (0: skip; >= 100 for a calibration
            statement); ``n_sbc_samples`` posterior samples each.
        coverage_at: optional ``(d,)`` known point: also measure the coverage of
            ``n_sbc`` pseudo-observations drawn there (closure tests).
        fiducial: where the score compression is built: ``"fit"`` (the chi2 fit to
            the data, default) or ``"centre"`` of the box.
        truncate: if set (default 6), the simulations are drawn from the prior box cut to
            ``fit -+ truncate * fit error`` (Gauss-Newton errors of the chi2 fit): the
            posterior of a uniform prior on ``limits`` restricted to where it has mass
            (see docs/sbi.md, "Truncation"); None draws from the whole box.
        on_uncovered: prior corners outside the base sample's coverage ``"raise"``
            (default) or are only ``"flag"``-ged in the output.
        pythia_events: events per fresh Pythia simulation.
        seed: seeds every random step (simulation noise, network, sampling).
    """

    limits: Limits
    n_simulations: int = 2000
    simulator: str = "reweight"
    summary: str = "score"
    estimator: EstimatorSettings = field(default_factory=EstimatorSettings)
    n_posterior_samples: int = 5000
    n_ppc: int = 200
    n_sbc: int = 200
    n_sbc_samples: int = 500
    coverage_at: tuple[float, ...] | None = None
    fiducial: str = "fit"
    truncate: float | None = 6.0
    on_uncovered: str = "raise"
    pythia_events: int = 20_000
    seed: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.limits, Limits):
            raise InferenceError(f"limits must be a Limits object (parse_limits('aLund=0.5:0.9')), got {self.limits!r}")
        if not isinstance(self.estimator, EstimatorSettings):
            raise InferenceError("estimator must be an EstimatorSettings instance, e.g. EstimatorSettings(method='npe')")
        if self.simulator not in SIMULATORS:
            raise InferenceError(f"unknown simulator {self.simulator!r}; choose one of {SIMULATORS}")
        if self.summary not in SUMMARIES:
            raise InferenceError(f"unknown summary {self.summary!r}; choose one of {SUMMARIES}")
        if self.fiducial not in ("fit", "centre"):
            raise InferenceError(f"fiducial must be 'fit' or 'centre', got {self.fiducial!r}")
        if self.truncate is not None and not (isinstance(self.truncate, (int, float)) and self.truncate >= 3):
            raise InferenceError(f"truncate must be None or a number of fit errors >= 3, got {self.truncate!r}; "
                                 "a tighter cut would remove posterior mass")
        if self.on_uncovered not in ("raise", "flag"):
            raise InferenceError(f"on_uncovered must be 'raise' or 'flag', got {self.on_uncovered!r}")
        _positive_int("n_simulations", self.n_simulations)
        _positive_int("n_posterior_samples", self.n_posterior_samples, minimum=10)
        _positive_int("n_ppc", self.n_ppc, minimum=2)
        _positive_int("n_sbc", self.n_sbc, minimum=0)
        _positive_int("n_sbc_samples", self.n_sbc_samples, minimum=10)
        _positive_int("pythia_events", self.pythia_events, minimum=100)
        _positive_int("seed", self.seed, minimum=0)
        if self.n_sbc and self.n_sbc < 20:
            raise InferenceError(f"n_sbc = {self.n_sbc} pseudo-experiments cannot test calibration; use 0 (skip) "
                                 "or at least 20 (100 or more for a statement)")
        if self.coverage_at is not None and len(self.coverage_at) != self.limits.dim:
            raise InferenceError(f"coverage_at has {len(self.coverage_at)} values for {self.limits.dim} parameters")
        if self.estimator.method != "npe" and self.n_sbc > 200:
            raise InferenceError(f"{self.estimator.method.upper()} samples every posterior by MCMC: n_sbc = "
                                 f"{self.n_sbc} would take hours; use at most 200, or NPE")

    def to_dict(self) -> dict[str, Any]:
        return {
            "limits": self.limits.to_dict(), "n_simulations": self.n_simulations, "simulator": self.simulator,
            "summary": self.summary, "estimator": self.estimator.to_dict(),
            "n_posterior_samples": self.n_posterior_samples, "n_ppc": self.n_ppc, "n_sbc": self.n_sbc,
            "n_sbc_samples": self.n_sbc_samples, "coverage_at": list(self.coverage_at) if self.coverage_at else None,
            "fiducial": self.fiducial, "truncate": self.truncate, "on_uncovered": self.on_uncovered, "pythia_events": self.pythia_events,
            "seed": self.seed,
        }
