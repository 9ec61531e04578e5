"""Presets, settings files and Pythia's verdict on settings."""

from __future__ import annotations

import pytest

from mlhad.config import GeneratorConfig, parse_setting
from mlhad.exceptions import ConfigError, PythiaSettingError
from mlhad.generators.presets import PRESETS, get_preset
from mlhad.generators.pythia_session import apply_settings, new_pythia
from mlhad.generators.settings_files import collect_settings, read_cmnd, setting_from_cli

pytestmark = pytest.mark.pythia


def test_presets_are_accepted_by_pythia():
    for preset in PRESETS.values():
        pythia = new_pythia()
        apply_settings(pythia, preset.pythia_settings())  # raises on any rejected setting


def test_unknown_preset_lists_known_ones():
    with pytest.raises(ConfigError, match=r"unknown preset 'lep3'; known presets: lep1, string"):
        get_preset("lep3")


def test_unknown_setting_carries_pythias_words():
    pythia = new_pythia()
    with pytest.raises(PythiaSettingError, match=r"StringZ:aLundd = 0.5.*not found in settings databases"):
        apply_settings(pythia, ["StringZ:aLundd = 0.5"], origin="--set")


def test_out_of_range_value_is_rejected_not_clamped():
    pythia = new_pythia()
    with pytest.raises(PythiaSettingError, match=r"out of range"):
        apply_settings(pythia, ["StringZ:aLund = 5"])
    assert pythia.settings.parm("StringZ:aLund") == pytest.approx(0.68)


def test_cli_setting_syntax():
    assert setting_from_cli("StringZ:aLund=0.6") == "StringZ:aLund = 0.6"
    assert parse_setting("  StringPT:sigma =  0.3 ") == ("StringPT:sigma", "0.3")
    with pytest.raises(ConfigError, match="expected 'Key = value'"):
        setting_from_cli("StringZ:aLund")


def test_cmnd_file_comments_and_line_numbers(tmp_path):
    path = tmp_path / "tune.cmnd"
    path.write_text("! a comment\n\nStringZ:aLund = 0.6   ! trailing\n# another\nStringZ:bLund=1.1\n")
    assert read_cmnd(path) == ["StringZ:aLund = 0.6", "StringZ:bLund = 1.1"]
    assert collect_settings([path], ["StringPT:sigma=0.3"])[-1] == "StringPT:sigma = 0.3"
    path.write_text("StringZ:aLund = 0.6\nthis is not a setting\n")
    with pytest.raises(ConfigError, match=r"tune.cmnd, line 2"):
        read_cmnd(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_events": 0}, "n_events must be a positive integer, got 0"),
        ({"n_events": -5}, "n_events must be a positive integer, got -5"),
        ({"seed": 0}, r"seed must be an integer in \[1, 900000000\]"),
        ({"chunk_size": 0}, "chunk_size must be a positive integer"),
        ({"history_detail": "most"}, "history_detail must be"),
        ({"variations": ("novalue",)}, "cannot read the variation"),
    ],
)
def test_config_validation(changes, message):
    with pytest.raises(ConfigError, match=message):
        GeneratorConfig(**changes)


def test_chunking_covers_all_events():
    config = GeneratorConfig(n_events=1001, chunk_size=250)
    assert config.n_chunks == 5
    assert sum(config.chunk_events(i) for i in range(config.n_chunks)) == 1001
    assert config.chunk_events(4) == 1
