"""Event-level (macroscopic) observables of single-string events, for MAGIC.

All are pure functions of an awkward Array of events in our sample format and return
(n_events,) float64 numpy arrays. They run unchanged on Pythia samples and on chains
from the torch sampler.

    n_hadrons  number of final-state hadrons
    n_charged  number of charged final-state hadrons
    x_lead     energy fraction of the most energetic hadron, 2 E_max / sum E
    max_gap    largest rapidity gap between rapidity-neighbouring hadrons
    sum_z      sum of z over the accepted string breaks (needs histories)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np

from mlhad.exceptions import MissingColumnError, RegistryError

__all__ = ["n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z", "OBSERVABLES",
           "StringObservable", "compute_observables"]


def _final(events: ak.Array) -> ak.Array:
    if "particles" not in ak.fields(events):
        raise MissingColumnError(f"the events have no 'particles' column (fields: {ak.fields(events)})")
    p = events["particles"]
    return p[p.status == 1] if "status" in ak.fields(p) else p


def n_hadrons(events: ak.Array) -> np.ndarray:
    """Number of final-state hadrons per event."""
    return ak.to_numpy(ak.num(_final(events))).astype(np.float64)


def n_charged(events: ak.Array) -> np.ndarray:
    """Number of charged final-state hadrons per event."""
    return ak.to_numpy(ak.sum(_final(events).charge != 0, axis=1)).astype(np.float64)


def x_lead(events: ak.Array) -> np.ndarray:
    """Leading-hadron energy fraction 2 E_max / sum E (sum E = W for a string at rest)."""
    e = ak.values_astype(_final(events).e, np.float64)
    return ak.to_numpy(ak.fill_none(2.0 * ak.max(e, axis=1) / ak.sum(e, axis=1), 0.0)).astype(np.float64)


def max_gap(events: ak.Array) -> np.ndarray:
    """Largest gap between neighbouring hadron rapidities y = atanh(pz / E) (0 if < 2)."""
    p = _final(events)
    e = ak.values_astype(p.e, np.float64)
    pz = ak.values_astype(p.pz, np.float64)
    y = 0.5 * np.log((e + pz) / (e - pz))
    y = ak.sort(y, axis=1)
    gaps = y[:, 1:] - y[:, :-1]
    return ak.to_numpy(ak.fill_none(ak.max(gaps, axis=1), 0.0)).astype(np.float64)


def sum_z(events: ak.Array) -> np.ndarray:
    """Sum of z over the accepted breaks of each event (fragmentation histories)."""
    if "breaks" not in ak.fields(events):
        raise MissingColumnError("sum_z needs the 'breaks' column: generate with histories")
    b = events["breaks"]
    return ak.to_numpy(ak.sum(ak.where(b.accepted, b.z, 0.0), axis=1)).astype(np.float64)


@dataclass(frozen=True)
class StringObservable:
    """An observable with its evaluation function and binning rule.

    Attributes:
        name: lowercase identifier.
        function: events -> (n_events,) float64.
        discrete: integer-valued (binned by unit bins) or continuous (quantile bins).
        description: one line for reports and plots.
    """

    name: str
    function: Callable[[ak.Array], np.ndarray]
    discrete: bool
    description: str


OBSERVABLES: dict[str, StringObservable] = {
    o.name: o for o in (
        StringObservable("n_hadrons", n_hadrons, True, "hadron multiplicity"),
        StringObservable("n_charged", n_charged, True, "charged multiplicity"),
        StringObservable("x_lead", x_lead, False, "leading-hadron energy fraction 2E/W"),
        StringObservable("max_gap", max_gap, False, "largest rapidity gap"),
        StringObservable("sum_z", sum_z, False, "sum of z of accepted breaks"),
    )
}


def compute_observables(events: ak.Array, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Evaluate the named observables on events.

    Raises:
        RegistryError: for an unknown name (the message lists the known ones).
    """
    unknown = [n for n in names if n not in OBSERVABLES]
    if unknown:
        raise RegistryError(f"unknown string observables {unknown}; known: {sorted(OBSERVABLES)}")
    return {n: OBSERVABLES[n].function(events) for n in names}
