"""Per-particle and per-event input features of the encoder (pure functions).

Which particles: the visible final state, i.e. ``status == 1`` without neutrinos
(|PDG id| 12, 14, 16), charged and neutral. Decayed hadrons (``status == 2``) are the
history of the event, not part of it.

Per-particle features (``PARTICLE_FEATURES``, then a one-hot particle class), in the
frame of the event axes fixed by :func:`mlhad.encoder.geometry.canonical_axes`:

====  ==============  ==================================================================
col   name            definition (energies and momenta in GeV)
====  ==============  ==================================================================
0     log_e           ln E
1     log_p           ln |p|
2     log_e_rel       ln (E / E_vis), E_vis = sum of visible energies of the event
3-5   dir_thrust,     unit momentum direction p/|p| along thrust, major and minor axes
      dir_major,      (cosines of the angles to the axes; the local edge block measures
      dir_minor       opening angles between particles with them)
6     log_pt          ln pT with respect to the thrust axis
7     rapidity        rapidity along the thrust axis, asinh(p_T-axis / mT)
8     charge          electric charge in units of e
9...  class           one-hot :func:`mlhad.encoder.classes.particle_class`
====  ==============  ==================================================================

Logarithms are floored at ln(1e-3) (1 MeV), far below any LEP1 particle, so a
particle at rest gives finite features. Per-event features (``GLOBAL_FEATURES``):
ln N, ln(1 + N_charged), ln(1 + N_photon), ln E_vis, ln(|sum p| + 0.1 GeV) (the
momentum imbalance, which neutrinos of heavy-flavour decays leave behind).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import awkward as ak
import numpy as np
import torch

from mlhad.exceptions import ModelError

from .classes import n_classes, particle_class
from .geometry import canonical_axes, check_axes, to_event_frame

__all__ = [
    "PARTICLE_FIELDS",
    "PARTICLE_FEATURES",
    "GLOBAL_FEATURES",
    "DIRECTION_COLUMNS",
    "n_particle_features",
    "FlatFeatures",
    "select_visible",
    "check_particles",
    "flat_features",
    "pad",
    "particle_features",
    "global_features",
]

#: Fields of ``particles`` the encoder reads (see docs/sample_format.md).
PARTICLE_FIELDS = ("px", "py", "pz", "e", "pid", "charge", "status")
PARTICLE_FEATURES = (
    "log_e", "log_p", "log_e_rel", "dir_thrust", "dir_major", "dir_minor", "log_pt", "rapidity", "charge",
)
GLOBAL_FEATURES = ("log_n", "log_n_charged", "log_n_photon", "log_e_vis", "log_p_miss")
#: Columns that stay visible when a particle is masked during pretraining.
DIRECTION_COLUMNS = (3, 4, 5)
_NEUTRINOS = (12, 14, 16)
_FLOOR = 1e-3  # GeV: floor under logarithms and under mT (see module docstring)


def n_particle_features(class_scheme: str) -> int:
    """Columns of the per-particle feature matrix for a class scheme."""
    return len(PARTICLE_FEATURES) + n_classes(class_scheme)


@dataclass(frozen=True)
class FlatFeatures:
    """Features of a block of events, particles stored flat.

    Attributes:
        values: ``(n_particles, n_particle_features)`` float32, events one after another.
        counts: ``(n_events,)`` int64 visible particles per event.
        globals: ``(n_events, len(GLOBAL_FEATURES))`` float32.
    """

    values: np.ndarray
    counts: np.ndarray
    globals: np.ndarray

    @property
    def n_events(self) -> int:
        return int(self.counts.shape[0])

    @cached_property
    def starts(self) -> np.ndarray:
        """``(n_events,)`` first flat row of each event (computed once)."""
        return np.concatenate([[0], np.cumsum(self.counts)[:-1]])


def _require_fields(particles: ak.Array) -> ak.Array:
    """Check the fields and strip awkward option types (Parquet stores records as nullable)."""
    fields = set(ak.fields(particles))
    missing = [f for f in PARTICLE_FIELDS if f not in fields]
    if missing:
        raise ModelError(
            f"particles lack the fields {missing} (have {sorted(fields)}); read them with "
            "sample.read(['particles.' + f for f in mlhad.encoder.PARTICLE_FIELDS])"
        )
    particles = particles[list(PARTICLE_FIELDS)]
    if "?" in str(particles.type):
        none = ak.to_numpy(ak.any(ak.is_none(particles, axis=1), axis=1))
        for field in PARTICLE_FIELDS:
            none = none | ak.to_numpy(ak.fill_none(ak.any(ak.is_none(particles[field], axis=1), axis=1), True))
        if none.any():
            raise ModelError(
                f"event index {int(np.argmax(none))} has a missing (None) particle or field; "
                "the encoder needs complete particle records"
            )
        particles = ak.drop_none(particles)
    return particles


def select_visible(particles: ak.Array) -> ak.Array:
    """The particles the encoder sees: ``status == 1`` and not a neutrino.

    Args:
        particles: ``(n_events, var)`` records with at least ``PARTICLE_FIELDS``.

    Returns:
        The same records, visible final-state particles only, in their input order;
        per-particle embeddings (:func:`mlhad.encoder.embed_particles`) follow this order.
    """
    particles = _require_fields(particles)
    apid = abs(particles.pid)
    keep = (particles.status == 1) & (apid != 12) & (apid != 14) & (apid != 16)
    return particles[keep]


def _flat(particles: ak.Array, field: str, dtype: type) -> np.ndarray:
    return np.asarray(ak.to_numpy(ak.flatten(particles[field], axis=1)), dtype=dtype)


def _validate(p4: np.ndarray, counts: np.ndarray, event_index: np.ndarray, first_event: int) -> None:
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ModelError(
            f"{empty.size} event(s) have no visible final-state particle (status 1, no neutrinos), "
            f"e.g. event index {[int(i) + first_event for i in empty[:5]]}; an empty set has no "
            "embedding: drop them first, e.g. events[ak.num(select_visible(events.particles)) > 0]"
        )
    bad = ~np.isfinite(p4).all(axis=1)
    if bad.any():
        j = int(np.argmax(bad))
        raise ModelError(
            f"event index {int(event_index[j]) + first_event} has a particle with non-finite "
            f"momentum (px, py, pz, e) = {p4[j].tolist()}; remove or repair the event before embedding"
        )
    if (p4[:, 3] < 0).any():
        j = int(np.argmax(p4[:, 3] < 0))
        raise ModelError(
            f"event index {int(event_index[j]) + first_event} has a particle with negative energy "
            f"e = {p4[j, 3]!r} GeV; the energies must be physical"
        )


def _flat_visible(
    particles: ak.Array, first_event: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counts, event index, (px, py, pz, e), charge and pid of the visible particles, flat."""
    visible = select_visible(particles)
    counts = np.asarray(ak.to_numpy(ak.num(visible, axis=1)), dtype=np.int64)
    event_index = np.repeat(np.arange(counts.shape[0]), counts)
    p4 = np.stack([_flat(visible, f, np.float64) for f in ("px", "py", "pz", "e")], axis=1)
    _validate(p4, counts, event_index, first_event)
    return counts, event_index, p4, _flat(visible, "charge", np.float64), _flat(visible, "pid", np.int64)


def check_particles(particles: ak.Array, *, first_event: int = 0) -> None:
    """Raise :class:`ModelError` for what the encoder cannot embed (see :func:`flat_features`)."""
    _flat_visible(particles, first_event)


def _event_globals(
    counts: np.ndarray, event_index: np.ndarray, p4: np.ndarray, charge: np.ndarray, pid: np.ndarray
) -> np.ndarray:
    n_events = counts.shape[0]

    def total(w: np.ndarray) -> np.ndarray:
        return np.bincount(event_index, weights=w, minlength=n_events)

    p_miss = np.sqrt(sum(total(p4[:, c]) ** 2 for c in range(3)))
    return np.stack(
        [
            np.log(counts),
            np.log1p(total((charge != 0).astype(np.float64))),
            np.log1p(total((np.abs(pid) == 22).astype(np.float64))),
            np.log(np.maximum(total(p4[:, 3]), _FLOOR)),
            np.log(p_miss + 0.1),
        ],
        axis=1,
    ).astype(np.float32)


def flat_features(
    particles: ak.Array, axes: np.ndarray, class_scheme: str = "identified", *, first_event: int = 0
) -> FlatFeatures:
    """Feature matrix of the visible particles of every event (see module docstring).

    Args:
        particles: ``(n_events, var)`` particle records (all statuses; selection inside).
        axes: ``(n_events, 3, 3)`` unit axes per event, rows thrust, major, minor (e.g.
            from ``mlhad.observables.thrust_axes``); their signs do not matter.
        class_scheme: see :mod:`mlhad.encoder.classes`.
        first_event: index of the first event in the caller's numbering (error messages).

    Raises:
        ModelError: missing fields, an event without visible particles, non-finite or
            negative-energy momenta, bad axes; the message names the event.
    """
    counts, event_index, p4, charge, pid = _flat_visible(particles, first_event)
    n_events = counts.shape[0]
    axes = check_axes(axes, n_events)
    cls = particle_class(pid, charge, class_scheme)
    p3, energy = p4[:, :3], p4[:, 3]

    axes = canonical_axes(p3, energy, axes, event_index)
    local = to_event_frame(p3, axes, event_index)
    p_abs = np.sqrt((local**2).sum(axis=1))
    e_vis = np.bincount(event_index, weights=energy, minlength=n_events)
    pt = np.hypot(local[:, 1], local[:, 2])
    mt = np.sqrt(np.maximum(energy**2 - local[:, 0] ** 2, 0.0))
    direction = local / np.maximum(p_abs, 1e-12)[:, None]

    n_cls = n_classes(class_scheme)
    values = np.zeros((p4.shape[0], len(PARTICLE_FEATURES) + n_cls), dtype=np.float32)
    values[:, 0] = np.log(np.maximum(energy, _FLOOR))
    values[:, 1] = np.log(np.maximum(p_abs, _FLOOR))
    values[:, 2] = np.log(np.maximum(energy, _FLOOR) / np.maximum(e_vis[event_index], _FLOOR))
    values[:, 3:6] = direction
    values[:, 6] = np.log(np.maximum(pt, _FLOOR))
    values[:, 7] = np.arcsinh(local[:, 0] / np.maximum(mt, _FLOOR))
    values[:, 8] = charge
    values[np.arange(p4.shape[0]), len(PARTICLE_FEATURES) + cls] = 1.0
    glob = _event_globals(counts, event_index, p4, charge, pid)
    return FlatFeatures(values=values, counts=counts, globals=glob)


def pad(values: np.ndarray, counts: np.ndarray, n_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scatter flat per-particle rows into a zero-padded block.

    Args:
        values: ``(sum(counts), F)`` rows, events one after another.
        counts: ``(n_events,)`` rows per event.
        n_max: padded length (default ``max(counts)``); must be ``>= max(counts)``.

    Returns:
        ``(n_events, n_max, F)`` values and an ``(n_events, n_max)`` bool mask (True = real).
    """
    counts = np.asarray(counts, dtype=np.int64)
    longest = int(counts.max()) if counts.size else 0
    n_max = longest if n_max is None else int(n_max)
    if n_max < longest:
        raise ModelError(f"pad: n_max={n_max} is shorter than the longest event ({longest} particles)")
    event_index = np.repeat(np.arange(counts.size), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if counts.size else counts
    slot = np.arange(values.shape[0]) - np.repeat(starts, counts)
    out = np.zeros((counts.size, n_max, values.shape[1]), dtype=values.dtype)
    out[event_index, slot] = values
    mask = np.zeros((counts.size, n_max), dtype=bool)
    mask[event_index, slot] = True
    return out, mask


def particle_features(
    particles: ak.Array, axes: np.ndarray, class_scheme: str = "identified"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded per-particle features and mask (see module docstring for the columns).

    Args:
        particles: ``(n_events, var)`` particle records (``PARTICLE_FIELDS``).
        axes: ``(n_events, 3, 3)`` event axes, rows thrust, major, minor.
        class_scheme: ``"identified"`` or ``"detector"``.

    Returns:
        ``(n_events, n_max, n_particle_features)`` float32 tensor and
        ``(n_events, n_max)`` bool mask, True for real particles.
    """
    flat = flat_features(particles, axes, class_scheme)
    values, mask = pad(flat.values, flat.counts)
    return torch.from_numpy(values), torch.from_numpy(mask)


def global_features(particles: ak.Array) -> torch.Tensor:
    """``(n_events, len(GLOBAL_FEATURES))`` float32 per-event features (module docstring).

    They need no axes: counts, visible energy and momentum imbalance are rotation invariant.
    """
    counts, event_index, p4, charge, pid = _flat_visible(particles, 0)
    return torch.from_numpy(_event_globals(counts, event_index, p4, charge, pid))
