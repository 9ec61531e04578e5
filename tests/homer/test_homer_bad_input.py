"""Bad input: each refusal says what was wrong, the value, and what to do."""

from __future__ import annotations

import pytest

from mlhad.config import GeneratorConfig
from mlhad.exceptions import InferenceError, InputFileNotFoundError, SampleError
from mlhad.generators import generate
from mlhad.reweight.homer import BreakWeightConfig, ClassifierConfig, Homer, HomerConfig
from mlhad.yoda import reference_path

pytestmark = pytest.mark.pythia

QUICK = HomerConfig(step1=ClassifierConfig(max_epochs=3), step2=BreakWeightConfig(max_epochs=1), threads=1)


def _small(tmp_path, name, **kwargs):
    config = GeneratorConfig(preset=kwargs.pop("preset", "string"), n_events=kwargs.pop("n_events", 300), **kwargs)
    return generate(config, tmp_path / name, workers=1, progress=False)


def test_simulation_without_histories(tmp_path, string_data):
    sim = _small(tmp_path, "nohist", seed=5, history=False)
    with pytest.raises(SampleError, match=r"has no fragmentation histories.*do not pass --no-history"):
        Homer(QUICK, progress=False).fit(sim, string_data)


def test_data_at_another_energy(tmp_path, string_sim):
    data = _small(tmp_path, "e30", seed=6, energy=30.0)
    with pytest.raises(SampleError, match=r"is at 50.0 GeV but data .* at 30.0 GeV.*--energy 30.0"):
        Homer(QUICK, progress=False).fit(string_sim, data)


def test_data_of_another_process(tmp_path, string_sim):
    data = _small(tmp_path, "lep1", preset="lep1", n_events=100, seed=7)
    with pytest.raises(SampleError, match=r"uses preset 'string' but data .* uses 'lep1'"):
        Homer(QUICK, progress=False).fit(string_sim, data)


def test_binned_data_at_another_energy(string_sim):
    """ALEPH measured at 91.2 GeV; the string simulation is at 50 GeV."""
    with pytest.raises(SampleError, match=r"measured at sqrt\(s\) = 91.2 GeV but the simulation .* is at 50.0 GeV"):
        Homer(QUICK, progress=False).fit(string_sim, reference_path("ALEPH_1996_S3486095"))


def test_nothing_to_learn(tmp_path, string_sim):
    """A second sample at the simulation's own parameters: the classifier's AUC is 0.5 within
    its null spread, and HOMER says there is nothing to learn instead of producing noise."""
    same = _small(tmp_path, "same", n_events=2000, seed=8)
    config = HomerConfig(step1=ClassifierConfig(max_epochs=5), step2=BreakWeightConfig(max_epochs=1),
                         max_events=2000, threads=1)
    with pytest.raises(InferenceError, match=r"cannot tell simulation from data.*nothing to learn"):
        Homer(config, progress=False).fit(string_sim, same)


def test_missing_data_path(tmp_path, string_sim):
    with pytest.raises(SampleError, match=r"neither a sample directory nor a YODA file"):
        Homer(QUICK, progress=False).fit(string_sim, tmp_path / "nowhere")


def test_incomplete_run_directory(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(InputFileNotFoundError, match=r"homer.json does not exist: not a complete HOMER run"):
        Homer.load(tmp_path / "run")
