"""Quark content of hadrons and the flavour chain along a string end."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from mlhad.config import GeneratorConfig
from mlhad.generators.chunk_worker import chunk_tasks, generate_chunk
from mlhad.generators.flavours import chain_flavours, content_to_code, hadron_content, parton_content

# columns: d u s c b
KNOWN = {
    211: [-1, 1, 0, 0, 0],     # pi+ = u dbar
    -211: [1, -1, 0, 0, 0],
    111: [0, 0, 0, 0, 0],      # flavour-diagonal
    321: [0, 1, -1, 0, 0],     # K+ = u sbar
    311: [1, 0, -1, 0, 0],     # K0 = d sbar
    2212: [1, 2, 0, 0, 0],     # p = uud
    3122: [1, 1, 1, 0, 0],     # Lambda = uds
    -3312: [-1, 0, -2, 0, 0],  # anti-Xi+ (anti of Xi- = dss)
    421: [0, -1, 0, 1, 0],     # D0 = c ubar
    -511: [-1, 0, 0, 0, 1],    # anti-B0 = b dbar
    531: [0, 0, 1, 0, -1],     # Bs0 = s bbar
    333: [0, 0, 0, 0, 0],      # phi
}


def test_hadron_content_known_values():
    ids = np.array(list(KNOWN))
    assert hadron_content(ids).tolist() == list(KNOWN.values())


def test_codes_round_trip():
    codes = np.array([2, -2, 3, -5, 2100, -3300, 2200, 4300])
    assert content_to_code(parton_content(codes)).tolist() == codes.tolist()
    # Pythia's spin-labelled diquarks map to the same spinless codes
    assert content_to_code(parton_content(np.array([2101, 2103, -3303]))).tolist() == [2100, 2100, -3300]


def test_simple_meson_chain():
    # u end -> pi+ (u dbar) -> pi- (d ubar) -> pi0
    old, new = chain_flavours(np.array([211, -211, 111]), np.array([True, False, False]), np.array([2, 2, 2]))
    assert old.tolist() == [2, 1, 2]
    assert new.tolist() == [-1, -2, -2]


def test_baryon_and_popcorn_chain():
    # u end -> p (uud): new flavour is the anti-diquark... here diquark ud as colour antitriplet;
    # then the end carries anti(ud) -> an antibaryon pbar from ubar ubar dbar closes it.
    old, new = chain_flavours(np.array([2212, -2212]), np.array([True, False]), np.array([2, 2]))
    assert old.tolist() == [2, -2100]
    assert new.tolist() == [2100, -2]


@pytest.mark.pythia
def test_derivation_matches_pythias_own_flavours():
    """The python backend derives flavours; the native one reads Pythia's: they must agree."""
    base = GeneratorConfig(preset="lep1", n_events=800, chunk_size=800, seed=11)
    native, _ = generate_chunk(chunk_tasks(base.replace(history_backend="native"))[0])
    python, _ = generate_chunk(chunk_tasks(base.replace(history_backend="python"))[0])
    for field in ("flav_old", "flav_new"):
        pythia_codes = content_to_code(parton_content(ak.to_numpy(ak.flatten(native.breaks[field]))))
        derived = ak.to_numpy(ak.flatten(python.breaks[field]))
        assert pythia_codes.size > 15_000  # enough breaks, incl. baryons and popcorn mesons
        assert np.array_equal(pythia_codes, derived)
    pids = np.abs(ak.to_numpy(ak.flatten(native.breaks.pid)))
    assert np.any(pids > 1000), "the check must include baryon breaks"
