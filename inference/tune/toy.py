"""An analytic toy generator with exact reweighting: the tune's logic, testable in milliseconds.

Each toy event has

* one value ``x ~ Normal(mu, width)`` -> ``/TOY_1/d01-x01-y01``, unit area (an "event shape");
* ``k ~ Poisson(rate)`` "particles" -> ``/TOY_1/d02-x01-y01``, fraction of events per
  multiplicity (like ALEPH d18);
* for each particle a value ``y ~ Normal(0, width)`` -> ``/TOY_1/d03-x01-y01``, per event
  (a "spectrum": several correlated fills per event, integrating to <k>).

Parameters ``toy:mu``, ``toy:width``, ``toy:rate``; the weight of an event generated at
``theta0`` for ``theta`` is the exact density ratio

    log w = log N(x; mu, s) - log N(x; mu0, s0) + k log(r / r0) - (r - r0)
            + sum_j [log N(y_j; 0, s) - log N(y_j; 0, s0)],

which depends on the event through ``x``, ``k`` and ``S = sum_j y_j**2`` only. The
histograms go through the same :mod:`mlhad.analysis` contributions as Pythia's, so every
fitting, reporting and plotting path is exercised; only the generator is analytic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlhad.analysis import Contributions, HistogramContributions, aggregate
from mlhad.exceptions import TuneError

from .simulator import SimulationRun

__all__ = ["ToySimulator", "ToyReweighter", "TOY_ANALYSIS", "TOY_PARAMS", "TOY_DEFAULT", "TOY_RANGES", "toy_paths"]

TOY_ANALYSIS = "TOY_1"
TOY_PARAMS = ("toy:mu", "toy:width", "toy:rate")
#: The toy's "Monash": the default base point.
TOY_DEFAULT = {"toy:mu": 0.0, "toy:width": 1.0, "toy:rate": 6.0}
TOY_RANGES = {"toy:mu": (-1.0, 1.0), "toy:width": (0.6, 1.6), "toy:rate": (3.0, 10.0)}

_EDGES = {
    "d01-x01-y01": ("unit_area", "event", np.linspace(-4.0, 4.0, 33)),
    "d02-x01-y01": ("fraction", "event", np.arange(-0.5, 20.5, 1.0)),
    "d03-x01-y01": ("per_event", "particle", np.linspace(-4.0, 4.0, 33)),
}


def toy_paths() -> list[str]:
    """MC paths of the toy's histograms."""
    return [f"/{TOY_ANALYSIS}/{name}" for name in _EDGES]


def _histogram(path: str, mode: str, kind: str, edges: np.ndarray, event: np.ndarray, x: np.ndarray,
               n_events: int) -> HistogramContributions:
    rows = aggregate(event, x, edges)
    n_bins = edges.shape[0] - 1
    return HistogramContributions(
        path=path, normalisation=mode, kind=kind, edges=edges, ref_bins=np.arange(n_bins, dtype=np.int64),
        accepted=np.ones(n_events, dtype=bool), event=rows.event, bin=rows.bin, count=rows.count,
        count2=rows.count2, n_fills=rows.n_fills, sumx=rows.sumx, sumx2=rows.sumx2, metadata={"toy": True})


@dataclass(eq=False)
class ToyReweighter:
    """Exact log-weights of toy events (same interface as :class:`mlhad.reweight.LundReweighter`)."""

    x: np.ndarray
    k: np.ndarray
    s2: np.ndarray
    base: Mapping[str, float]
    params: list[str]

    def __post_init__(self) -> None:
        import torch

        self.n_events = int(self.x.shape[0])
        self._t = {name: torch.from_numpy(np.array(a, dtype=np.float64)) for name, a in
                   (("x", self.x), ("k", self.k), ("s2", self.s2))}

    def log_weights(self, theta: Mapping[str, Any]) -> Any:
        import torch

        p = {name: torch.as_tensor(self.base[name], dtype=torch.float64) for name in TOY_PARAMS}
        for name, value in theta.items():
            if name not in self.params:
                raise TuneError(f"{name} is not among the toy's varied parameters {self.params}")
            p[name] = torch.as_tensor(value, dtype=torch.float64)
        mu, s, r = p["toy:mu"], p["toy:width"], p["toy:rate"]
        mu0, s0, r0 = (torch.as_tensor(self.base[n], dtype=torch.float64) for n in TOY_PARAMS)
        x, k, s2 = self._t["x"], self._t["k"], self._t["s2"]
        log_x = -((x - mu) ** 2) / (2 * s * s) - torch.log(s) + ((x - mu0) ** 2) / (2 * s0 * s0) + torch.log(s0)
        log_k = k * torch.log(r / r0) - (r - r0)
        log_y = -s2 / (2 * s * s) + s2 / (2 * s0 * s0) - k * torch.log(s / s0)
        return log_x + log_k + log_y

    def weights(self, theta: Mapping[str, Any]) -> Any:
        import torch

        return torch.exp(self.log_weights(theta))


def generate_toy(point: Mapping[str, float], n_events: int, seed: int) -> dict[str, np.ndarray]:
    """Draw toy events: ``{"x": (N,), "k": (N,), "y": (sum k,), "event_of_y": (sum k,)}``."""
    rng = np.random.default_rng(seed)
    mu, s, r = (float(point[n]) for n in TOY_PARAMS)
    x = rng.normal(mu, s, n_events)
    k = rng.poisson(r, n_events)
    y = rng.normal(0.0, s, int(k.sum()))
    return {"x": x, "k": k.astype(np.float64), "y": y, "event_of_y": np.repeat(np.arange(n_events), k)}


@dataclass
class ToySimulator:
    """The toy generator behind the :class:`~mlhad.inference.tune.simulator.Simulator` interface."""

    name: str = field(default="toy", init=False)

    def mc_paths(self, reference: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> tuple[list[str], dict[str, str]]:
        return toy_paths(), {}

    def check_reweightable(self, names: Sequence[str]) -> None:
        unknown = [n for n in names if n not in TOY_PARAMS]
        if unknown:
            raise TuneError(f"the toy cannot reweight {unknown}; its parameters are {list(TOY_PARAMS)}")

    def setting_of(self, path: str, name: str) -> float | None:
        return None

    def load(self, path: str, *, label: str = "base") -> SimulationRun:
        raise TuneError("toy runs live in memory; there is nothing to load from disk")

    def run(self, point: Mapping[str, float], n_events: int, seed: int, *, label: str,
            histories: bool = True) -> SimulationRun:
        t0 = time.perf_counter()
        full = dict(TOY_DEFAULT)
        for name, value in point.items():
            if name not in TOY_PARAMS:
                raise TuneError(f"the toy has no parameter {name!r}; its parameters are {list(TOY_PARAMS)}")
            full[name] = float(value)
        if full["toy:width"] <= 0 or full["toy:rate"] <= 0:
            raise TuneError(f"toy:width and toy:rate must be positive, got {full}")
        ev = generate_toy(full, n_events, seed)
        hist = {}
        data = {"d01-x01-y01": (np.arange(n_events), ev["x"]), "d02-x01-y01": (np.arange(n_events), ev["k"]),
                "d03-x01-y01": (ev["event_of_y"], ev["y"])}
        for name, (mode, kind, edges) in _EDGES.items():
            path = f"/{TOY_ANALYSIS}/{name}"
            hist[path] = _histogram(path, mode, kind, edges, *data[name], n_events)
        contributions = Contributions(analysis=TOY_ANALYSIS, n_events=n_events, beam_energy=1.0, histograms=hist)
        s2 = np.bincount(ev["event_of_y"], weights=ev["y"] ** 2, minlength=n_events)

        def make(names: Sequence[str]) -> ToyReweighter:
            self.check_reweightable(names)
            return ToyReweighter(ev["x"], ev["k"], s2, dict(full), list(names))

        return SimulationRun(point=full, n_events=n_events, seed=seed, contributions={TOY_ANALYSIS: contributions},
                             label=label, seconds=time.perf_counter() - t0,
                             make_reweighter=make if histories else None)


def toy_fisher_mu(width: float, n_data: int) -> float:
    """Unbinned statistical limit on ``toy:mu`` from ``n_data`` events' ``x`` alone: ``width / sqrt(n)``."""
    return width / math.sqrt(n_data)
