"""One entry point that computes exactly the observables a histogramming step asks for.

Example:
    >>> import awkward as ak
    >>> from mlhad.observables import compute
    >>> one = {"e": 5.0, "m": 0.0, "pid": 211, "status": 1, "parent": -1}
    >>> event = [dict(one, px=0.0, py=0.0, pz=5.0, charge=1),
    ...          dict(one, px=0.0, py=0.0, pz=-5.0, charge=-1)]
    >>> out = compute(ak.Array([event]), ["thrust", "x_p"], beam_energy=45.6)
    >>> float(out["thrust"][0]), round(float(out["x_p"][0][0]), 4)
    (1.0, 0.1096)
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

import awkward as ak
import numpy as np

from mlhad.exceptions import ConfigError, RegistryError

from .catalogue import OBSERVABLES
from .context import SELECTIONS, Context

__all__ = ["compute", "available"]


def available(kind: str | None = None) -> list[str]:
    """Sorted observable names, optionally only those of one kind (event/particle/pair)."""
    return sorted(n for n, o in OBSERVABLES.items() if kind is None or o.kind == kind)


def _check_names(names: Iterable[str] | str) -> list[str]:
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in OBSERVABLES]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(str(name), OBSERVABLES, n=3, cutoff=0.6)
            hints.append(f"{name!r} (did you mean {close}?)" if close else repr(name))
        raise RegistryError(
            f"unknown observable(s) {', '.join(hints)}; see "
            "mlhad.observables.available() for the full list"
        )
    return names


def compute(
    particles: ak.Array,
    names: Iterable[str] | str,
    *,
    beam_energy: float,
    selection: str = "charged",
) -> dict[str, np.ndarray | ak.Array]:
    """Compute the named observables for every event, sharing intermediate results.

    Args:
        particles: ragged particles of the events (``events.particles`` as read from a
            sample, or the events themselves), all statuses; schema in
            ``docs/sample_format.md``.
        names: observable names (see :func:`available` and
            :mod:`mlhad.observables.catalogue`).
        beam_energy: beam momentum ``p_beam = sqrt(s) / 2`` in GeV (45.6 at LEP1), the
            denominator of ``x_p`` and ``x_E``.
        selection: particles for event shapes and per-particle observables:
            ``"charged"`` (charged final state, as the ALEPH and DELPHI analyses) or
            ``"final"`` (all final-state particles). Identified-hadron observables always
            use Rivet's UnstableParticles-like selection.

    Returns:
        ``{name: values}``: ``(n_events,)`` float or int numpy arrays for event-level
        names (NaN where undefined, e.g. fewer than 2 particles), ragged
        ``(n_events, var)`` awkward arrays for per-particle and per-pair names.

    Raises:
        RegistryError: unknown observable name (with close matches).
        ConfigError: bad ``beam_energy`` or ``selection``.
        MissingColumnError: a particle field the observables need is absent.
    """
    wanted = _check_names(names)
    if isinstance(beam_energy, bool) or not isinstance(beam_energy, (int, float, np.floating, np.integer)):
        raise ConfigError(f"beam_energy must be a number in GeV (e.g. 45.6 for LEP1), got {beam_energy!r}")
    if not math.isfinite(beam_energy) or beam_energy <= 0:
        raise ConfigError(
            f"beam_energy must be the beam momentum sqrt(s)/2 in GeV, > 0 (45.6 at LEP1), got {beam_energy!r}"
        )
    if selection not in SELECTIONS:
        raise ConfigError(f"unknown selection {selection!r}; use one of {sorted(SELECTIONS)}")
    context = Context(particles, beam_energy=beam_energy, selection=selection)
    return {name: OBSERVABLES[name].evaluate(context) for name in wanted}
