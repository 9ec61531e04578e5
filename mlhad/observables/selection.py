"""Particle selections, as Rivet's projections make them, on awkward event arrays.

Every function takes the ragged ``particles`` array of a sample (one list of particle
records per event, schema in ``docs/sample_format.md``) and returns the same kind of
array with fewer particles per event; the number of events never changes, so results
stay aligned with event weights.

What to use when:
    * :func:`charged_final` -- Rivet's ``ChargedFinalState()``: event shapes, x_p, N_ch.
    * :func:`final` -- Rivet's ``FinalState()`` (charged and neutral).
    * :func:`unstable` -- Rivet's ``UnstableParticles()``: identified-hadron spectra and
      rates (K0S, Lambda, pi0, rho, ... are counted before they decay).
    * :func:`with_pid` -- keep only some PDG ids, e.g. ``with_pid(unstable(p), [321])``.
"""

from __future__ import annotations

from collections.abc import Iterable

import awkward as ak
import numpy as np

from mlhad.exceptions import ConfigError, MissingColumnError, SampleError

__all__ = [
    "PARTICLE_FIELDS",
    "as_particles",
    "charged_final",
    "final",
    "unstable",
    "with_pid",
]

#: Fields of one particle record (docs/sample_format.md).
PARTICLE_FIELDS = ("px", "py", "pz", "e", "m", "pid", "charge", "status", "parent")

# Rivet's UnstableParticles drops status-2 photons and reggeons (110, 990, 9990) ...
_UNSTABLE_VETO_STATUS2 = np.array([22, 110, 990, 9990])
# ... and partons (quarks 1-8, gluon 21 and its alias 9) whatever their status.
_PARTONS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 21])


def as_particles(data: ak.Array, fields: Iterable[str] = ("px", "py", "pz", "e")) -> ak.Array:
    """Return the ragged particle array of ``data``, checking that ``fields`` exist.

    Args:
        data: either the events of a sample (records with a ``particles`` field) or the
            ``particles`` array itself, shape ``(n_events, var)``.
        fields: particle fields the caller needs.

    Raises:
        SampleError: if ``data`` is not an awkward array of per-event particle lists.
        MissingColumnError: if a needed field is absent (name, fields present, fix).
    """
    if not isinstance(data, ak.Array):
        raise SampleError(
            f"expected an awkward Array of events, got {type(data).__name__}; build one "
            "with sample.read([...]) or ak.zip({'px': ..., ...}) (docs/sample_format.md)"
        )
    if "particles" in ak.fields(data):
        data = data["particles"]
    if data.ndim != 2 or not ak.fields(data):
        raise SampleError(
            f"expected particles of type 'n_events * var * {{px, py, ...}}', got "
            f"'{data.type}'; pass events.particles or the events themselves"
        )
    missing = [f for f in fields if f not in ak.fields(data)]
    if missing:
        raise MissingColumnError(
            f"the particles lack field(s) {missing} (present: {ak.fields(data)}); read "
            f"them with sample.read(['particles.{missing[0]}', ...])"
        )
    return data


def final(particles: ak.Array) -> ak.Array:
    """Final-state particles (status 1), like Rivet's ``FinalState()`` without cuts."""
    particles = as_particles(particles, ("status",))
    return particles[particles.status == 1]


def charged_final(particles: ak.Array) -> ak.Array:
    """Charged final-state particles (status 1, charge != 0): ``ChargedFinalState()``."""
    particles = as_particles(particles, ("status", "charge"))
    return particles[(particles.status == 1) & (particles.charge != 0)]


def unstable(particles: ak.Array) -> ak.Array:
    """Hadrons before and after decay, like Rivet's ``UnstableParticles()``.

    Keeps status-1 particles and status-2 (decayed) particles except photons and
    reggeons; drops partons and any particle that has a status-2 daughter with the same
    PDG id (a copy in the record), so that nothing is counted twice.

    Args:
        particles: ragged particles with ``pid``, ``status`` and ``parent``.
    """
    particles = as_particles(particles, ("pid", "status", "parent"))
    flat = ak.flatten(particles)
    pid = ak.to_numpy(flat.pid).astype(np.int64)
    apid = np.abs(pid)
    status = ak.to_numpy(flat.status)
    parent = ak.to_numpy(flat.parent).astype(np.int64)
    counts = ak.to_numpy(ak.num(particles, axis=1)).astype(np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)

    keep = (status == 1) | ((status == 2) & ~np.isin(apid, _UNSTABLE_VETO_STATUS2))
    keep &= ~np.isin(apid, _PARTONS)
    # A status-2 daughter with the parent's own id means the parent is an earlier copy.
    child = np.flatnonzero(parent >= 0)
    bad = parent[child] >= np.repeat(counts, counts)[child]
    if bad.any():
        raise SampleError(
            f"particle parent index {int(parent[child][bad][0])} points past the end of its "
            "event; 'parent' must index the event's own particle list (docs/sample_format.md)"
        )
    mother = starts[child] + parent[child]
    copy = (pid[child] == pid[mother]) & (status[child] == 2)
    keep[mother[copy]] = False
    return particles[ak.unflatten(keep, counts)]


def with_pid(particles: ak.Array, pids: Iterable[int], *, abs: bool = True) -> ak.Array:  # noqa: A002
    """Particles whose PDG id is in ``pids``.

    Args:
        particles: ragged particles with a ``pid`` field.
        pids: PDG ids to keep, e.g. ``[211]``.
        abs: compare ``|pid|`` with ``|pids|``, i.e. include charge conjugates (Rivet's
            ALEPH and DELPHI analyses switch on ``abs(pid)``).

    Raises:
        ConfigError: if ``pids`` is empty or not integers.
    """
    given = list(pids)
    wanted = np.asarray(given)
    if wanted.size == 0 or not np.issubdtype(wanted.dtype, np.integer):
        raise ConfigError(
            f"pids must be a non-empty list of integer PDG ids, got {given!r}; "
            "e.g. with_pid(particles, [211, 321])"
        )
    particles = as_particles(particles, ("pid",))
    if abs:
        return particles[_isin(np.abs(particles.pid), np.abs(wanted))]
    return particles[_isin(particles.pid, wanted)]


def _isin(values: ak.Array, wanted: np.ndarray) -> ak.Array:
    """``np.isin`` on a ragged array (awkward has no isin of its own)."""
    flat = ak.to_numpy(ak.flatten(values))
    return ak.unflatten(np.isin(flat, wanted), ak.num(values, axis=1))
