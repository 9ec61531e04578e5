"""Event observables on hand-built events with known values."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from mlhad.exceptions import MissingColumnError, RegistryError
from mlhad.reweight.flows import compute_observables


def _particle(e, pz, charge, status=1):
    return {"px": 0.0, "py": 0.0, "pz": pz, "e": e, "m": float(np.sqrt(max(e * e - pz * pz, 0.0))),
            "pid": 211 if charge else 111, "charge": charge, "status": status, "parent": -1}


def _events():
    # Rapidities y = atanh(pz/E): event 0 has y = (+1.0, 0.0, -2.0): gaps 1 and 2.
    ev0 = [_particle(np.cosh(1.0), np.sinh(1.0), 1), _particle(1.0, 0.0, 0), _particle(np.cosh(2.0), -np.sinh(2.0), -1),
           _particle(5.0, 1.0, 1, status=2)]  # a decayed hadron: not final, ignored
    ev1 = [_particle(3.0, 1.0, 1), _particle(1.0, -0.5, -1)]
    breaks = [[{"z": 0.2, "accepted": True}, {"z": 0.5, "accepted": False}, {"z": 0.3, "accepted": True}],
              [{"z": 0.9, "accepted": False}]]
    return ak.Array({"particles": [ev0, ev1], "breaks": breaks})


def test_known_values():
    ev = _events()
    out = compute_observables(ev, ["n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z"])
    assert out["n_hadrons"].tolist() == [3.0, 2.0]
    assert out["n_charged"].tolist() == [2.0, 2.0]
    e0 = np.array([np.cosh(1.0), 1.0, np.cosh(2.0)])
    assert out["x_lead"] == pytest.approx([2 * e0.max() / e0.sum(), 2 * 3.0 / 4.0])
    y1 = [np.arctanh(1 / 3), np.arctanh(-0.5)]
    assert out["max_gap"] == pytest.approx([2.0, y1[0] - y1[1]], abs=1e-12)
    assert out["sum_z"] == pytest.approx([0.5, 0.0])  # thrown-away draws do not count


def test_unknown_observable_and_missing_columns():
    with pytest.raises(RegistryError, match=r"unknown string observables \['thrust'\]; known: \["):
        compute_observables(_events(), ["thrust"])
    with pytest.raises(MissingColumnError, match="sum_z needs the 'breaks' column"):
        compute_observables(ak.Array({"particles": _events().particles}), ["sum_z"])
