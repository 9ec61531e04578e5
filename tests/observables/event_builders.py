"""Hand-built and random e+e- events in the mlhad particle schema, for the observable tests."""

from __future__ import annotations

import awkward as ak
import numpy as np

__all__ = ["make_events", "random_events", "rotate", "rotation_matrix", "mercedes", "back_to_back"]

PION_MASS = 0.13957


def make_events(momenta, *, masses=None, charges=None, pids=None, status=None, parents=None) -> ak.Array:
    """Ragged particles from a list of ``(n_i, 3)`` momentum arrays (GeV), one per event.

    Energies follow from the masses (default: massless). Charges default to +-1
    alternating, pids to 211 * charge (22 for neutral), status to 1, parents to -1.
    """
    counts = np.array([len(p) for p in momenta], dtype=np.int64)
    p = np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1, 3) for x in momenta]) if counts.sum() else np.zeros((0, 3))
    n = len(p)

    def flat(values, default):
        if values is None:
            return default
        return np.concatenate([np.asarray(v).reshape(-1) for v in values]) if n else default

    m = flat(masses, np.zeros(n))
    q = flat(charges, np.where(np.arange(n) % 2 == 0, 1, -1))
    pid = flat(pids, np.where(q != 0, 211 * q, 22))
    st = flat(status, np.ones(n))
    par = flat(parents, -np.ones(n))
    e = np.sqrt((p**2).sum(axis=1) + m**2)
    record = ak.zip(
        {
            "px": p[:, 0].astype(np.float32),
            "py": p[:, 1].astype(np.float32),
            "pz": p[:, 2].astype(np.float32),
            "e": e.astype(np.float32),
            "m": m.astype(np.float32),
            "pid": pid.astype(np.int32),
            "charge": q.astype(np.int8),
            "status": st.astype(np.int8),
            "parent": par.astype(np.int32),
        }
    )
    return ak.unflatten(record, counts)


def rotation_matrix(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random 3x3 rotation (QR of a Gaussian matrix, sign-fixed, det +1)."""
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q *= np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


def rotate(particles: ak.Array, rot: np.ndarray) -> ak.Array:
    """Rotate every particle's momentum by the 3x3 matrix ``rot`` (energies unchanged)."""
    counts = ak.num(particles, axis=1)
    flat = ak.flatten(particles)
    p = np.stack([ak.to_numpy(flat[c]).astype(np.float64) for c in ("px", "py", "pz")], axis=1) @ rot.T
    out = ak.with_field(flat, p[:, 0].astype(np.float32), "px")
    out = ak.with_field(out, p[:, 1].astype(np.float32), "py")
    out = ak.with_field(out, p[:, 2].astype(np.float32), "pz")
    return ak.unflatten(out, counts)


def back_to_back(energy: float = 45.6, axis=(0.3, -0.2, 0.9)) -> np.ndarray:
    """Two massless particles back to back along ``axis``."""
    n = np.asarray(axis, float) / np.linalg.norm(axis)
    return np.stack([energy * n, -energy * n])


def mercedes(energy: float = 30.4) -> np.ndarray:
    """Three massless particles of equal energy at 120 degrees in the x-y plane."""
    ang = np.array([0.0, 2.0, 4.0]) * np.pi / 3
    return energy * np.stack([np.cos(ang), np.sin(ang), np.zeros(3)], axis=1)


def random_events(rng: np.random.Generator, n_events: int, mean_n: float = 20.0, *, balanced: bool = True) -> list[np.ndarray]:
    """Jet-like random events: particles around a random axis, momentum-balanced if asked."""
    events = []
    for _ in range(n_events):
        n = max(2, rng.poisson(mean_n))
        axis = rng.standard_normal(3)
        axis /= np.linalg.norm(axis)
        side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        p = side[:, None] * axis * rng.exponential(3.0, n)[:, None] + rng.normal(0.0, 0.5, (n, 3))
        if balanced:
            p -= p.mean(axis=0)
        events.append(p)
    return events
