"""What a tune needs from an event generator: runs at parameter points, analysed.

A :class:`Simulator` generates events at a parameter point and returns a
:class:`SimulationRun`: the sparse contributions of its events to every reference
histogram (:mod:`mlhad.analysis`) and, if the generator records what reweighting needs,
an event reweighter. :class:`~mlhad.inference.tune.pythia.PythiaSimulator` is the real
one; :class:`~mlhad.inference.tune.toy.ToySimulator` an analytic stand-in that makes the
fitting logic testable in milliseconds.

Every method shares these two verbs:

* ``run.predictions()`` -- numpy heights and MC errors at the reference points, for any
  event weights (the optuna and surrogate baselines, the reports);
* ``run.reweighter(names)`` -- ``log_weights({name: tensor}) -> (N,) tensor``, exact and
  differentiable (the gradient method).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mlhad.analysis import Contributions, Prediction, predict

from ..objective import FitTarget, chi2

__all__ = ["Simulator", "EventReweighter", "SimulationRun", "at_reference", "run_chi2"]


@runtime_checkable
class EventReweighter(Protocol):
    """Exact event weights of a run for new parameter values (e.g. :class:`mlhad.reweight.LundReweighter`)."""

    params: list[str]
    n_events: int

    def log_weights(self, theta: Mapping[str, Any]) -> Any:
        """``(N,)`` float64 torch tensor of log w, differentiable in the values of ``theta``."""


@dataclass(eq=False)
class SimulationRun:
    """One generator run at one parameter point, analysed.

    Attributes:
        point: every parameter set for the run (free and fixed, canonical names).
        n_events: events generated.
        seed: master seed of the run.
        contributions: ``{analysis: Contributions}``.
        label: short name (``base-0``, ``trial-12``, ``anchor-3`` ...).
        path: where its events are stored (None for in-memory runs).
        seconds: wall time of generation + analysis.
        make_reweighter: ``names -> EventReweighter``, or None if the run cannot be reweighted.
        parts: the runs a pooled run is made of, in event order (:mod:`.pooled`); empty otherwise.
    """

    point: dict[str, float]
    n_events: int
    seed: int
    contributions: dict[str, Contributions]
    label: str = "run"
    path: str | None = None
    seconds: float = 0.0
    make_reweighter: Any = None
    parts: tuple[SimulationRun, ...] = ()
    _reweighters: dict[tuple[str, ...], EventReweighter] = field(default_factory=dict, repr=False)

    def reweighter(self, names: Sequence[str]) -> EventReweighter:
        """The run's event reweighter for the parameters ``names`` (built once, cached)."""
        from mlhad.exceptions import TuneError

        if self.make_reweighter is None:
            raise TuneError(f"run {self.label} cannot be reweighted (generated without fragmentation histories)")
        key = tuple(names)
        if key not in self._reweighters:
            self._reweighters[key] = self.make_reweighter(list(names))
        return self._reweighters[key]

    def predictions(self, weights: np.ndarray | None = None) -> dict[str, dict[str, Prediction]]:
        """``{analysis: {mc_path: Prediction}}`` with the given ``(N,)`` event weights (None: 1)."""
        return {name: predict(c, weights) for name, c in self.contributions.items()}

    def to_dict(self) -> dict[str, Any]:
        out = {"label": self.label, "point": dict(self.point), "n_events": self.n_events, "seed": self.seed,
               "path": self.path, "seconds": round(self.seconds, 3)}
        if self.parts:
            out["parts"] = [part.label for part in self.parts]
        return out


def at_reference(predictions: Mapping[str, Mapping[str, Prediction]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{mc_path: (values, errors)}`` at every reference point (column 0), all analyses merged."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for preds in predictions.values():
        for path, p in preds.items():
            out[path] = p.at_reference()
    return out


def run_chi2(run: SimulationRun, target: FitTarget) -> float:
    """Professor's chi2 of a run's own predictions (unit weights, its own MC errors) against ``target``."""
    values, errors = target.gather(at_reference(run.predictions()))
    return float(chi2(values, errors, target.data, target.data_err, target.weights))


class Simulator(Protocol):
    """Runs an event generator at parameter points (see the module docstring)."""

    #: short name for reports (``pythia``, ``toy``)
    name: str

    def mc_paths(self, reference: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], dict[str, str]]:
        """MC paths it can predict for ``{analysis: {ref_path: object}}``, and ``{ref_path: reason}`` it cannot."""

    def check_reweightable(self, names: Sequence[str]) -> None:
        """Raise TuneError (saying why) unless all ``names`` can be reached by reweighting."""

    def run(self, point: Mapping[str, float], n_events: int, seed: int, *, label: str,
            histories: bool = True) -> SimulationRun:
        """Generate ``n_events`` at ``point`` (free and fixed parameters) and analyse them."""

    def setting_of(self, path: str, name: str) -> float | None:
        """The value of parameter ``name`` in the run stored at ``path`` (None if unknown)."""

    def load(self, path: str, *, label: str = "base") -> SimulationRun:
        """An existing run stored at ``path``, analysed."""
