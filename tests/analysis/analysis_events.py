"""Hand-built and random e+e- events in the sample's particle schema, for the analysis tests."""

from __future__ import annotations

import awkward as ak
import numpy as np

__all__ = ["event_array", "random_events", "PION_MASS"]

PION_MASS = 0.13957
_FIELDS = ("px", "py", "pz", "e", "m", "pid", "charge", "status", "parent")


def event_array(events: list[list[dict]]) -> ak.Array:
    """Ragged particles from per-event lists of particle dicts (missing fields get defaults).

    Each particle needs ``p = (px, py, pz)``; ``m`` (default 0), ``pid`` (211 * charge, 22 if
    neutral), ``charge`` (default 1), ``status`` (1) and ``parent`` (-1) are optional.
    """
    rows = []
    for event in events:
        out = []
        for part in event:
            px, py, pz = part["p"]
            m = part.get("m", 0.0)
            q = part.get("charge", 1)
            out.append({
                "px": np.float32(px), "py": np.float32(py), "pz": np.float32(pz),
                "e": np.float32(np.sqrt(px * px + py * py + pz * pz + m * m)), "m": np.float32(m),
                "pid": np.int32(part.get("pid", 211 * q if q else 22)), "charge": np.int8(q),
                "status": np.int8(part.get("status", 1)), "parent": np.int32(part.get("parent", -1)),
            })
        rows.append(out)
    return ak.Array(rows)


def random_events(n_events: int, rng: np.random.Generator) -> ak.Array:
    """LEP-like toy events: two back-to-back jets of charged pions, pi0 -> 2 gamma and K0S -> pi+ pi-.

    Identified hadrons carry the sample's status/parent structure (status 2 with status-1
    daughters), so UnstableParticles-like selections find them.
    """
    events = []
    for _ in range(n_events):
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        parts: list[dict] = []

        def momentum() -> np.ndarray:
            along = rng.choice([-1.0, 1.0]) * rng.exponential(2.5)
            return along * axis + rng.normal(0.0, 0.4, 3)

        n_ch = 2 * rng.poisson(8) + 2
        for i in range(n_ch):
            parts.append({"p": momentum(), "m": PION_MASS, "charge": 1 if i % 2 == 0 else -1})
        for _ in range(rng.poisson(4)):
            p = momentum()
            parts.append({"p": p, "m": 0.135, "pid": 111, "charge": 0, "status": 2})
            parent = len(parts) - 1
            parts.append({"p": 0.5 * p + 0.05, "pid": 22, "charge": 0, "parent": parent})
            parts.append({"p": 0.5 * p - 0.05, "pid": 22, "charge": 0, "parent": parent})
        if rng.random() < 0.5:
            p = momentum()
            parts.append({"p": p, "m": 0.4976, "pid": 310, "charge": 0, "status": 2})
            parent = len(parts) - 1
            parts.append({"p": 0.5 * p + 0.1, "m": PION_MASS, "charge": 1, "parent": parent})
            parts.append({"p": 0.5 * p - 0.1, "m": PION_MASS, "charge": -1, "parent": parent})
        events.append(parts)
    return event_array(events)
