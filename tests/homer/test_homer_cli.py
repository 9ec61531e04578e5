"""`mlhad homer` end to end on a tiny sample: models, report, weights, refusal to overwrite."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mlhad.cli.main import main
from mlhad.io import open_sample
from mlhad.reweight.homer import Homer

pytestmark = pytest.mark.pythia


def test_cli_writes_models_report_and_weights(string_sim, string_data, tmp_path, capsys):
    sim = open_sample(shutil.copytree(string_sim.path, tmp_path / "sim"))
    out = tmp_path / "run1"
    argv = ["homer", "--sim", str(sim.path), "--data", str(string_data.path), "--out", str(out),
            "--max-events", "3000", "--epochs1", "15", "--epochs2", "3", "--threads", "1", "--no-progress"]
    code = main(argv)
    text = capsys.readouterr()
    assert code == 0, text.err
    assert "step 1: test AUC" in text.out and "closure HOMER" in text.out
    for name in ("homer.json", "step1.pt", "step1.json", "step2.pt", "step2.json", "report.md", "metrics.json"):
        assert (out / name).stat().st_size > 0, name
    for name in ("observables", "weights", "losses", "calibration", "break_weights"):
        assert (out / "plots" / f"{name}.png").stat().st_size > 10_000, name
    saved = json.loads((out / "homer.json").read_text())
    assert saved["config"]["max_events"] == 3000 and saved["config"]["step1"]["max_epochs"] == 15
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["truth"] == {"StringZ:aLund": 0.5, "StringZ:bLund": 1.3}
    # the stored weights are the saved models' weights, and they are a density ratio (mean 1)
    stored = sim.read_column_set("homer").weight.to_numpy()
    assert np.allclose(stored, Homer.load(out, progress=False).event_weights(sim), rtol=1e-10)
    assert abs(stored.mean() - 1) < 4 * stored.std() / np.sqrt(stored.size)

    # a second run into the same directory is refused before any training
    assert main(argv) == 1
    assert "already holds a HOMER run" in capsys.readouterr().err
    assert main(argv[:6] + [str(tmp_path / "run2")] + argv[7:]) == 1
    assert "already has a column set 'homer'" in capsys.readouterr().err
