"""Event-frame geometry: check the event axes, fix their signs, rotate momenta into them.

All functions are pure numpy over *flat* particle arrays (every particle of every
event in one array) with ``event_index`` naming the event of each particle, so they
vectorise over millions of particles without Python loops.

The thrust axis is defined only up to its sign, and so is the major axis. Features
that used the raw axes would change when a thrust algorithm returned ``-n`` instead
of ``n`` for the same event. :func:`canonical_axes` therefore fixes the signs by
rotation-invariant rules:

* thrust: points into the heavier hemisphere (larger invariant mass), the one that
  usually holds the hard gluon;
* major: points to the side with the larger energy flow, i.e. the energy-weighted
  third moment ``sum_i (p_i . n_major)^3`` is positive;
* minor: ``thrust x major`` (a right-handed frame), whatever sign was passed in.

Under a common proper rotation of particles and axes every derived feature is
unchanged (tested in ``tests/encoder/test_features.py``).
"""

from __future__ import annotations

import numpy as np

from mlhad.exceptions import ModelError

__all__ = ["check_axes", "canonical_axes", "to_event_frame"]

#: Tolerance on |row| = 1 and row_i . row_j = 0 of the axes: float32 thrust axes are
#: orthonormal to ~1e-6; 1e-3 still catches axes that are not unit vectors at all.
AXES_TOLERANCE = 1e-3


def check_axes(axes: np.ndarray, n_events: int) -> np.ndarray:
    """Validate event axes and return them as float64.

    Args:
        axes: ``(n_events, 3, 3)``, rows thrust, major, minor unit vectors.
        n_events: expected number of events.

    Raises:
        ModelError: wrong shape, non-finite entries, or rows that are not orthonormal
            (the message names the first bad event).
    """
    arr = np.asarray(axes, dtype=np.float64)
    if arr.shape != (n_events, 3, 3):
        raise ModelError(
            f"axes must have shape (n_events, 3, 3) = ({n_events}, 3, 3) (rows: thrust, major, "
            f"minor unit vectors), got {arr.shape}; compute them with "
            "mlhad.observables.thrust_axes(particles)"
        )
    bad = ~np.isfinite(arr).all(axis=(1, 2))
    if bad.any():
        raise ModelError(f"axes of event {int(np.argmax(bad))} are not finite: {arr[np.argmax(bad)].tolist()}")
    gram = np.einsum("nij,nkj->nik", arr, arr)
    off = np.abs(gram - np.eye(3)).max(axis=(1, 2))
    bad = off > AXES_TOLERANCE
    if bad.any():
        i = int(np.argmax(bad))
        raise ModelError(
            f"axes of event {i} are not orthonormal (max |A A^T - 1| = {off[i]:.3g} > "
            f"{AXES_TOLERANCE}): {arr[i].tolist()}; pass unit row vectors (thrust, major, minor)"
        )
    return arr


def to_event_frame(p3: np.ndarray, axes: np.ndarray, event_index: np.ndarray) -> np.ndarray:
    """Momentum components along each particle's event axes.

    Args:
        p3: ``(n_particles, 3)`` momenta (GeV) in the lab frame.
        axes: ``(n_events, 3, 3)`` event axes (rows thrust, major, minor).
        event_index: ``(n_particles,)`` event of each particle.

    Returns:
        ``(n_particles, 3)``: (p . n_thrust, p . n_major, p . n_minor) in GeV.
    """
    return np.einsum("pj,pkj->pk", p3, axes[event_index])


def _per_event_sum(values: np.ndarray, event_index: np.ndarray, n_events: int) -> np.ndarray:
    return np.bincount(event_index, weights=values, minlength=n_events)


def canonical_axes(
    p3: np.ndarray, energy: np.ndarray, axes: np.ndarray, event_index: np.ndarray
) -> np.ndarray:
    """Axes with signs fixed by the rules in the module docstring.

    Args:
        p3: ``(n_particles, 3)`` momenta (GeV).
        energy: ``(n_particles,)`` energies (GeV).
        axes: ``(n_events, 3, 3)`` orthonormal axes (see :func:`check_axes`).
        event_index: ``(n_particles,)`` event of each particle (sorted or not).

    Returns:
        ``(n_events, 3, 3)`` float64 axes, a right-handed frame per event.
    """
    n_events = axes.shape[0]
    local = to_event_frame(p3, axes, event_index)
    positive = local[:, 0] > 0
    # Invariant mass^2 of each thrust hemisphere: (sum E)^2 - |sum p|^2.
    masses = []
    for side in (positive, ~positive):
        e = _per_event_sum(np.where(side, energy, 0.0), event_index, n_events)
        p = [_per_event_sum(np.where(side, p3[:, c], 0.0), event_index, n_events) for c in range(3)]
        masses.append(e**2 - (p[0] ** 2 + p[1] ** 2 + p[2] ** 2))
    thrust_sign = np.where(masses[0] >= masses[1], 1.0, -1.0)
    moment = _per_event_sum(local[:, 1] ** 3, event_index, n_events)
    major_sign = np.where(moment >= 0, 1.0, -1.0)
    thrust = axes[:, 0] * thrust_sign[:, None]
    major = axes[:, 1] * major_sign[:, None]
    minor = np.cross(thrust, major)
    return np.stack([thrust, major, minor], axis=1)
