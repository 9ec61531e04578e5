"""Flavour selection of the pion string (Pythia's StringFlav with eta, eta' switched off)."""

from __future__ import annotations

import math

import torch

from mlhad.generators.string_sampler.flavour import final_pion, pick_new_flavour, pion_charge, pion_id


def test_pion_ids_and_charges():
    f1 = torch.tensor([2, 2, 1, 1, -2, -1])
    f2 = torch.tensor([-1, -2, -2, -1, 1, 2])
    pid = pion_id(f1, f2)
    # u dbar = pi+, u ubar = pi0, d ubar = pi-, d dbar = pi0, ubar d = pi-, dbar u = pi+
    assert pid.tolist() == [211, 111, -211, 111, -211, 211]
    assert pion_charge(pid).tolist() == [1, 0, -1, 0, -1, 1]
    assert pion_id(f2, f1).tolist() == pid.tolist()  # order does not matter


def test_new_flavour_sign_and_charged_fraction():
    n = 200_000
    old = torch.where(torch.arange(n) % 2 == 0, 2, -1)
    new = pick_new_flavour(old, 0.5, torch.Generator().manual_seed(2))
    assert bool((torch.sign(new) == -torch.sign(old)).all())
    charged = (new.abs() != old.abs()).double().mean()
    # P(charged) = 0.5 / (0.5 + 0.5 * 0.5) = 2/3; binomial sigma ~ 0.001, allow 5 sigma.
    assert abs(float(charged) - 2 / 3) < 5 * math.sqrt(2 / 9 / n)


def test_final_pion_fails_as_often_as_pythia():
    n = 400_000
    flav = torch.full((n,), 2)
    pid, ok = final_pion(-flav, flav, 0.5, 3, torch.Generator().manual_seed(4))
    assert bool((pid == 111).all())
    # u ubar needs a pi0 pick within n_try tries: failure (1/2)^3 = 1/8.
    fail = 1.0 - float(ok.double().mean())
    assert abs(fail - 0.125) < 5 * math.sqrt(0.125 * 0.875 / n)
    pid, ok = final_pion(torch.full((10,), 2), torch.full((10,), -1), 0.5, 1)
    assert bool(ok.all()) and bool((pid == 211).all())  # charged pions always form
