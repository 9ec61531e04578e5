"""HomerConfig validates every field with a message naming it, and survives JSON."""

from __future__ import annotations

import json

import pytest

from mlhad.exceptions import ConfigError, RegistryError
from mlhad.reweight.homer import BinnedConfig, BreakWeightConfig, ClassifierConfig, HomerConfig
from mlhad.reweight.homer.features import parse_feature


def test_round_trip_through_json():
    config = HomerConfig(step1=ClassifierConfig(observables=("thrust", "multiplicity:final"), hidden=(8,)),
                         binned=BinnedConfig(histograms=("d0[1-8]",)), step2=BreakWeightConfig(chains="history"),
                         seed=7, max_events=100, threads=1)
    assert HomerConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize("make, match", [
    (lambda: ClassifierConfig(features="jets"), r"ClassifierConfig.features must be one of .* got 'jets'"),
    (lambda: ClassifierConfig(hidden=()), r"ClassifierConfig.hidden must be a non-empty tuple"),
    (lambda: ClassifierConfig(auc_max=0.4), r"ClassifierConfig.auc_max must lie in \(0.5, 1\], got 0.4"),
    (lambda: BreakWeightConfig(chains="all"), r"BreakWeightConfig.chains must be one of .* got 'all'"),
    (lambda: BreakWeightConfig(n_z_nodes=4), r"BreakWeightConfig.n_z_nodes must be an integer >= 8, got 4"),
    (lambda: HomerConfig(test_fraction=0.6, validation_fraction=0.4), r"leaves less than 10% for training"),
    (lambda: HomerConfig(on_degenerate="ignore"), r"HomerConfig.on_degenerate must be one of"),
    (lambda: HomerConfig.from_dict({"step2": {"epochs": 3}}), r"HomerConfig.step2: unknown keys \['epochs'\]"),
])
def test_bad_values_are_named(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_feature_names_are_checked():
    assert parse_feature("multiplicity:final") == ("multiplicity", "final")
    assert parse_feature("xi_m3") == ("xi_m3", "charged")
    with pytest.raises(RegistryError, match="'thrust:neutral': selection 'neutral'"):
        parse_feature("thrust:neutral")
    with pytest.raises(RegistryError, match="'x_p' is per particle"):
        parse_feature("x_p")
    with pytest.raises(RegistryError, match="'trust' is not an observable"):
        parse_feature("trust")
