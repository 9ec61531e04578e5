"""``mlhad flow train|sample|magic`` end to end on small torch-sampler samples.

The samples come from the torch chain sampler with the Lund function (validated
against Pythia in tests/string_sampler), written in the sample format, so the CLI runs
exactly as on Pythia samples without generating any. Sizes are tiny: this checks the
wiring, the reports and the refusals, not the physics (tests/flows/test_flows_magic.py
and docs/flows.md do that).
"""

from __future__ import annotations

import json
import math

import pytest

from mlhad.cli.main import main
from mlhad.generators.string_sampler import LundZ, StringParams, fragment, write_sample


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    root = tmp_path_factory.mktemp("flow_cli")
    params = StringParams()
    for name, seed, z in (("base", 1, None), ("ref", 2, None), ("target", 3, LundZ(0.5, 1.2))):
        events = fragment(1500, params, z, seed=seed, progress=False)
        write_sample(events, root / name, params=params if z is None else params.replace(a_lund=0.5, b_lund=1.2),
                     seed=seed, models={"z": repr(z or LundZ.from_params(params))})
    return root


def test_train_sample_magic_end_to_end(samples, tmp_path, capsys):
    flow, chains, tuned = tmp_path / "flow", tmp_path / "chains", tmp_path / "tuned"
    train = ["flow", "train", "--sample", str(samples / "base"), "--eval-sample", str(samples / "ref"),
             "--out", str(flow), "--layers", "1", "--hidden", "8", "--bins", "4", "--epochs", "2",
             "--max-breaks", "15000", "--holdout", "0.15:0.17", "0.35:0.40"]
    assert main(train) == 0
    report = json.loads((flow / "report.json").read_text())
    assert [(w["lo"], w["hi"]) for w in report["windows"]] == [(0.15, 0.17), (0.35, 0.40)]
    assert all(0.0 <= w["model"]["ks_p"] <= 1.0 and w["model"]["w1"] > 0 for w in report["windows"])
    assert all((flow / f).stat().st_size > 0 for f in ("flow.json", "model.pt", "z_windows.png", "training.png"))
    # A second run into the same directory must not silently replace the flow.
    assert main(train) == 1
    assert "already holds a saved flow" in capsys.readouterr().err

    assert main(["flow", "sample", "--flow", str(flow), "--strings", "400", "--out", str(chains),
                 "--reference", str(samples / "ref"), "--seed", "3"]) == 0
    report = json.loads((chains / "report.json").read_text())
    assert set(report["chi2_vs_reference"]) == {"n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z"}
    assert 8 < report["mean_n_hadrons"] < 20  # ~14 pions per 50 GeV string
    assert (chains / "observables.png").is_file()

    assert main(["flow", "magic", "--flow", str(flow), "--target", str(samples / "target"), "--out", str(tuned),
                 "--observables", "n_hadrons", "x_lead", "--chains", "400", "--steps", "2",
                 "--eval-chains", "400"]) == 0
    report = json.loads((tuned / "report.json").read_text())
    assert len(report["history"]["loss"]) == 2 and math.isfinite(report["distance_cut"])
    assert report["kl_to_target_lund"]["a"] == 0.5 and report["kl_to_target_lund"]["b"] == 1.2
    assert all((tuned / f).is_file() for f in ("flow.json", "observables.png", "magic_history.png",
                                                "z_tuned_vs_target.png"))
    out = capsys.readouterr().out
    assert "distance_cut" in out and str(tuned) in out


def test_bad_input_is_explained(samples, tmp_path, capsys):
    assert main(["flow", "sample", "--flow", str(tmp_path / "none"), "--strings", "10",
                 "--out", str(tmp_path / "c")]) == 1
    assert "no saved flow at" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["flow", "train", "--sample", str(samples / "base"), "--out", str(tmp_path / "f"), "--holdout", "0.1"])
    assert "expected an mT2 window LO:HI" in capsys.readouterr().err
