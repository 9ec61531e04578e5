"""Momentum tensors: sphericity, aplanarity, planarity (r = 2) and C, D parameters (r = 1).

The generalised momentum tensor of an event is

    S^{ab} = sum_i |p_i|^(r-2) p_i^a p_i^b / sum_i |p_i|^r ,

with eigenvalues ``l1 >= l2 >= l3`` (``l1 + l2 + l3 = 1``). With the quadratic tensor
``r = 2`` (Bjorken & Brodsky, PRD 1 (1970) 1416; ALEPH, Phys. Rept. 294 (1998) 1):

    S = 3/2 (l2 + l3),  A = 3/2 l3,  P = l2 - l3 ;

with the linearised, infrared-safe tensor ``r = 1`` (Parisi, PLB 74 (1978) 65;
Donoghue, Low, Pi, PRD 20 (1979) 2759):

    C = 3 (l1 l2 + l1 l3 + l2 l3),  D = 27 l1 l2 l3 .

These are Rivet's ``Sphericity`` (r = 2) and ``ParisiTensor`` (``Sphericity`` with
r = 1) definitions. Particles with ``|p| = 0`` are left out, as in Rivet. Unlike Rivet,
events whose momenta all lie in the x-y plane or whose tensor has an exactly zero
eigenvalue get their true values (Rivet returns zeros for them); events with fewer
than 2 particles get NaN.

The eigenvectors (rows of :func:`sphericity_axes`) are ordered by decreasing
eigenvalue -- sphericity axis, "major" axis (in the event plane) and "minor" axis
(normal to it) -- and oriented to ``z >= 0`` as Rivet's eigenvector construction does.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from ._momenta import Momenta, momenta

__all__ = [
    "momentum_tensor",
    "tensor_eigen",
    "quadratic_shapes",
    "linear_shapes",
    "sphericity_axes",
    "sphericity",
    "aplanarity",
    "planarity",
    "c_parameter",
    "d_parameter",
]

_PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


def momentum_tensor(m: Momenta, r: float = 2.0) -> np.ndarray:
    """``(n_events, 3, 3)`` normalised momentum tensor with regulator power ``r``.

    Args:
        m: momenta of the selected particles.
        r: 2 for the quadratic (sphericity) tensor, 1 for the linear (C, D) tensor.

    Returns:
        The tensor, NaN for events with fewer than 2 particles or no momentum.
    """
    pmag = m.pmag
    moving = pmag > 0
    weight = np.zeros_like(pmag)
    weight[moving] = pmag[moving] ** (r - 2.0)
    tensor = np.empty((m.n_events, 3, 3))
    for a, b in _PAIRS:
        tensor[:, a, b] = tensor[:, b, a] = m.per_event_sum(weight * m.p[:, a] * m.p[:, b])
    norm = m.per_event_sum(np.where(moving, pmag, 0.0) ** r)
    bad = (m.counts < 2) | (norm <= 0)
    norm[bad] = 1.0
    tensor /= norm[:, None, None]
    tensor[bad] = np.nan
    return tensor


def tensor_eigen(tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues ``(n, 3)`` (decreasing, clipped to [0, 1]) and unit eigenvectors.

    Returns:
        ``(lambdas, axes)`` with ``axes (n, 3, 3)`` holding the eigenvectors as rows,
        in the order of ``lambdas`` and oriented to ``z >= 0``. NaN rows stay NaN.
    """
    good = np.isfinite(tensor).all(axis=(1, 2))
    lambdas = np.full(tensor.shape[:2], np.nan)
    axes = np.full(tensor.shape, np.nan)
    values, vectors = np.linalg.eigh(tensor[good])  # ascending, vectors in columns
    lambdas[good] = np.clip(values[:, ::-1], 0.0, 1.0)  # rounding can give -1e-17
    rows = vectors[:, :, ::-1].transpose(0, 2, 1)
    rows *= np.where(rows[:, :, 2:3] < 0, -1.0, 1.0)
    axes[good] = rows
    return lambdas, axes


def quadratic_shapes(lambdas: np.ndarray) -> dict[str, np.ndarray]:
    """Sphericity, aplanarity and planarity from ``(n, 3)`` r = 2 eigenvalues (decreasing)."""
    return {
        "sphericity": 1.5 * (lambdas[:, 1] + lambdas[:, 2]),
        "aplanarity": 1.5 * lambdas[:, 2],
        "planarity": lambdas[:, 1] - lambdas[:, 2],
    }


def linear_shapes(lambdas: np.ndarray) -> dict[str, np.ndarray]:
    """C and D parameters from ``(n, 3)`` r = 1 eigenvalues (decreasing)."""
    l1, l2, l3 = lambdas.T
    return {"c_parameter": 3.0 * (l1 * l2 + l1 * l3 + l2 * l3), "d_parameter": 27.0 * l1 * l2 * l3}


def _eigen(particles: ak.Array, r: float) -> tuple[np.ndarray, np.ndarray]:
    return tensor_eigen(momentum_tensor(momenta(particles), r))


def sphericity_axes(particles: ak.Array) -> np.ndarray:
    """``(n_events, 3, 3)`` eigenvectors of the r = 2 tensor as rows, by decreasing eigenvalue."""
    return _eigen(particles, 2.0)[1]


def sphericity(particles: ak.Array) -> np.ndarray:
    """``(n_events,)`` sphericity ``S = 3/2 (l2 + l3)`` of the r = 2 tensor, in [0, 1]."""
    return quadratic_shapes(_eigen(particles, 2.0)[0])["sphericity"]


def aplanarity(particles: ak.Array) -> np.ndarray:
    """``(n_events,)`` aplanarity ``A = 3/2 l3`` of the r = 2 tensor, in [0, 1/2]."""
    return quadratic_shapes(_eigen(particles, 2.0)[0])["aplanarity"]


def planarity(particles: ak.Array) -> np.ndarray:
    """``(n_events,)`` planarity ``P = l2 - l3`` of the r = 2 tensor."""
    return quadratic_shapes(_eigen(particles, 2.0)[0])["planarity"]


def c_parameter(particles: ak.Array) -> np.ndarray:
    """``(n_events,)`` C parameter ``3 (l1 l2 + l1 l3 + l2 l3)`` of the r = 1 tensor, in [0, 1]."""
    return linear_shapes(_eigen(particles, 1.0)[0])["c_parameter"]


def d_parameter(particles: ak.Array) -> np.ndarray:
    """``(n_events,)`` D parameter ``27 l1 l2 l3`` of the r = 1 tensor, in [0, 1]."""
    return linear_shapes(_eigen(particles, 1.0)[0])["d_parameter"]
