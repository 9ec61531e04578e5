"""Fixtures for the encoder tests: synthetic e+e- -like events and a tiny model."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from mlhad.encoder import EncoderConfig, PETEncoder

# (pid, charge, mass in GeV) of the species the synthetic events draw from.
_SPECIES = [
    (22, 0, 0.0), (211, 1, 0.1396), (-211, -1, 0.1396), (321, 1, 0.4937), (-321, -1, 0.4937),
    (2212, 1, 0.9383), (-2112, 0, 0.9396), (130, 0, 0.4976), (11, -1, 0.000511), (-13, 1, 0.1057),
]


def make_events(
    n_events: int,
    seed: int,
    *,
    mean_multiplicity: float = 20.0,
    hardness: float = 1.0,
    extras: bool = True,
) -> ak.Array:
    """Two-jet-like events: particles around a random axis, both hemispheres.

    Args:
        n_events: events.
        seed: numpy seed.
        mean_multiplicity: Poisson mean of the visible particles (plus 3).
        hardness: scale of the longitudinal momenta (a "parameter point").
        extras: add one decayed hadron (status 2) and one neutrino per event, which the
            encoder must ignore.
    """
    rng = np.random.default_rng(seed)
    events = []
    for _ in range(n_events):
        n = 3 + rng.poisson(mean_multiplicity)
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        side = rng.choice([-1.0, 1.0], size=n)
        p_long = side * rng.exponential(2.0 * hardness, size=n)
        p_perp = rng.normal(scale=0.4, size=(n, 3))
        p_perp -= (p_perp @ axis)[:, None] * axis
        p3 = p_long[:, None] * axis + p_perp
        kind = rng.integers(0, len(_SPECIES), size=n)
        pid = np.array([_SPECIES[k][0] for k in kind], dtype=np.int32)
        charge = np.array([_SPECIES[k][1] for k in kind], dtype=np.int8)
        mass = np.array([_SPECIES[k][2] for k in kind])
        status = np.ones(n, dtype=np.int8)
        if extras:
            p3 = np.vstack([p3, [[0.1, 0.2, 3.0], [1.0, -0.5, 0.3]]])
            pid = np.append(pid, [111, 14]).astype(np.int32)
            charge = np.append(charge, [0, 0]).astype(np.int8)
            mass = np.append(mass, [0.135, 0.0])
            status = np.append(status, [2, 1]).astype(np.int8)
        e = np.sqrt((p3**2).sum(1) + mass**2)
        events.append(
            {
                "particles": [
                    {"px": float(a), "py": float(b), "pz": float(c), "e": float(d), "m": float(m),
                     "pid": int(i), "charge": int(q), "status": int(s)}
                    for a, b, c, d, m, i, q, s in zip(*p3.T, e, mass, pid, charge, status)
                ]
            }
        )
    arr = ak.Array(events)
    # The sample format's dtypes (float32 momenta, int32 pid, int8 charge/status).
    p = arr.particles
    typed = ak.zip(
        {f: ak.values_astype(p[f], t) for f, t in
         [("px", np.float32), ("py", np.float32), ("pz", np.float32), ("e", np.float32), ("m", np.float32),
          ("pid", np.int32), ("charge", np.int8), ("status", np.int8)]}
    )
    return ak.zip({"particles": typed}, depth_limit=1)


def random_axes(n_events: int, seed: int) -> np.ndarray:
    """``(n_events, 3, 3)`` random orthonormal frames (rows), via QR of Gaussian matrices."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(n_events, 3, 3)))
    return np.transpose(q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :], (0, 2, 1))


def random_rotation(seed: int) -> np.ndarray:
    """A random proper rotation matrix (det +1)."""
    m = random_axes(1, seed)[0]
    return m if np.linalg.det(m) > 0 else -m


@pytest.fixture
def events() -> ak.Array:
    return make_events(40, seed=7)


@pytest.fixture
def axes(events) -> np.ndarray:
    return random_axes(len(events), seed=8)


@pytest.fixture
def tiny_config() -> EncoderConfig:
    return EncoderConfig(d_model=16, n_heads=2, n_layers=2, k_neighbours=4, d_edge=8, d_event=12)


@pytest.fixture
def tiny_model(tiny_config) -> PETEncoder:
    import torch

    torch.manual_seed(3)
    model = PETEncoder(tiny_config).eval()
    # Non-trivial LayerScale so the transformer blocks matter in the tests.
    with torch.no_grad():
        for block in model.blocks:
            block.scale1.fill_(0.7)
            block.scale2.fill_(0.7)
    return model


@pytest.fixture
def event_factory():
    return make_events


@pytest.fixture
def axes_factory():
    return random_axes


@pytest.fixture
def rotation_factory():
    return random_rotation
