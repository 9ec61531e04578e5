"""Saving and loading flows; mismatched state dicts and configs give clear errors."""

from __future__ import annotations

import json

import pytest
import torch

from mlhad.exceptions import CheckpointMismatchError, ModelError
from mlhad.reweight.flows import BreakFlow, FlowConfig, load_flow, save_flow


def test_round_trip_gives_identical_densities(tmp_path, small_config, make_flow):
    flow = make_flow(small_config)
    with torch.no_grad():
        flow.y_shift.fill_(-0.7)
        flow.c_min.fill_(0.02)
    save_flow(flow, tmp_path / "f", metadata={"note": "test"})
    back = load_flow(tmp_path / "f")
    z = torch.tensor([0.05, 0.4, 0.9], dtype=torch.float64)
    state = {"mT2": torch.tensor([0.1, 0.3, 1.0], dtype=torch.float64)}
    with torch.no_grad():
        assert torch.equal(back.log_prob_z(z, state), flow.log_prob_z(z, state))
    assert back.config == flow.config and back.training_range() == flow.training_range()
    doc = json.loads((tmp_path / "f" / "flow.json").read_text())
    assert doc["metadata"]["note"] == "test" and "torch" in doc["metadata"]["versions"]


def test_state_dict_from_another_config_names_the_keys(small_config):
    other = BreakFlow(small_config.replace(n_layers=3, hidden=8))
    with pytest.raises(CheckpointMismatchError, match=r"does not fit this BreakFlow.*unexpected: z_flow\._transform\._transforms\.2.*shape differs"):
        BreakFlow(small_config).load_state_dict(other.state_dict())
    with pytest.raises(CheckpointMismatchError, match=r"missing: pt_flow"):
        BreakFlow(small_config).load_state_dict(BreakFlow(small_config.replace(pt_flow=False)).state_dict())


def test_loading_with_a_different_config_names_the_fields(tmp_path, small_config):
    save_flow(BreakFlow(small_config), tmp_path / "f")
    wrong = small_config.replace(hidden=32, n_bins=4)
    with pytest.raises(CheckpointMismatchError, match=r"differing keys \(saved, requested\): \{'hidden': \(16, 32\), 'n_bins': \(6, 4\)\}"):
        load_flow(tmp_path / "f", config=wrong)
    assert load_flow(tmp_path / "f", config=small_config).config == small_config


def test_missing_or_foreign_files_are_explained(tmp_path, small_config):
    with pytest.raises(ModelError, match=r"no saved flow at .*expected flow.json and model.pt"):
        load_flow(tmp_path / "nothing")
    save_flow(BreakFlow(small_config), tmp_path / "f")
    (tmp_path / "f" / "flow.json").write_text(json.dumps({"format": "other", "version": 9}))
    with pytest.raises(ModelError, match=r"has format 'other' version 9; this mlhad reads 'mlhad-break-flow' version 1"):
        load_flow(tmp_path / "f")


def test_bad_configs_are_rejected():
    from mlhad.exceptions import ConfigError

    with pytest.raises(ConfigError, match=r"context must be distinct names .* including 'mT2', got \('rank',\)"):
        FlowConfig(context=("rank",))
    with pytest.raises(ConfigError, match=r"transform must be one of \('rqs', 'maf'\), got 'glow'"):
        FlowConfig(transform="glow")
    with pytest.raises(ConfigError, match=r"n_layers must be a positive integer, got 0"):
        FlowConfig(n_layers=0)
    with pytest.raises(ConfigError, match=r"pt_model must be one of \('radial', 'xy'\), got 'polar'"):
        FlowConfig(pt_model="polar")


def test_flows_saved_before_pt_model_existed_load_as_xy(tmp_path, small_config, make_flow):
    # flow.json files written before FlowConfig.pt_model have no such key; their pT flow
    # is the 2D (px, py) one and must load as such, with identical densities.
    flow = make_flow(small_config.replace(pt_model="xy"))
    save_flow(flow, tmp_path / "old")
    doc = json.loads((tmp_path / "old" / "flow.json").read_text())
    del doc["config"]["pt_model"]
    (tmp_path / "old" / "flow.json").write_text(json.dumps(doc))
    back = load_flow(tmp_path / "old")
    assert back.config.pt_model == "xy"
    px, py = torch.tensor([0.1, -0.3]), torch.tensor([0.2, 0.05])
    with torch.no_grad():
        assert torch.equal(back.log_prob_pt(px, py), flow.log_prob_pt(px, py))
    with pytest.raises(CheckpointMismatchError, match=r"differing keys \(saved, requested\): \{'pt_model': \('xy', 'radial'\)\}"):
        load_flow(tmp_path / "old", config=small_config)


def test_radial_and_xy_state_dicts_do_not_mix(small_config):
    radial, xy = BreakFlow(small_config), BreakFlow(small_config.replace(pt_model="xy"))
    with pytest.raises(CheckpointMismatchError, match=r"unexpected: pt_shift.*shape differs: pt_flow"):
        xy.load_state_dict(radial.state_dict())
    with pytest.raises(CheckpointMismatchError, match=r"missing: pt_shift"):
        radial.load_state_dict(xy.state_dict())
