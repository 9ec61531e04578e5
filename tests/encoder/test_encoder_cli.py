"""``mlhad encoder`` on real (small) Pythia samples: pretrain -> checkpoint -> embed -> info."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlhad.cli.main import main

pytestmark = pytest.mark.pythia


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    root = tmp_path_factory.mktemp("encoder-cli")
    out = []
    for name, seed, settings in (("monash", 11, ()), ("soft", 12, ("StringZ:aLund = 0.4",))):
        config = GeneratorConfig(preset="lep1", n_events=150, seed=seed, settings=settings, history=False)
        out.append(generate(config, root / name, workers=1, progress=False).path)
    return out


def test_pretrain_embed_info(samples, tmp_path, capsys):
    ckpt = tmp_path / "enc.pt"
    rc = main(["encoder", "pretrain", "--samples", *map(str, samples), "--out", str(ckpt), "--epochs", "1",
               "--max-events", "120", "--d-model", "16", "--n-heads", "2", "--d-edge", "8", "--d-event", "8",
               "--no-progress"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checkpoint"] == str(ckpt)
    assert ckpt.with_name("enc-loss.png").stat().st_size > 0
    record = json.loads(ckpt.with_suffix(".json").read_text())["training"]
    # The checkpoint documents its data: both samples with their Pythia settings.
    assert [s["config"]["seed"] for s in record["samples"]] == [11, 12]
    assert record["samples"][1]["config"]["settings"] == ["StringZ:aLund = 0.4"]
    assert record["n_train"] + record["n_val"] == 240
    assert record["regressed_parameters"] == ["StringZ:aLund"]  # the only setting that differs

    emb = tmp_path / "emb.npy"
    assert main(["encoder", "embed", "--sample", str(samples[0]), "--checkpoint", str(ckpt), "--out", str(emb),
                 "--no-progress"]) == 0
    capsys.readouterr()
    x = np.load(emb)
    assert x.shape == (150, 8) and np.isfinite(x).all()

    assert main(["encoder", "info", "--checkpoint", str(ckpt)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["config"]["d_model"] == 16 and info["n_parameters"] > 0

    # A second pretraining into the same file is refused before any work is done.
    before = ckpt.read_bytes()
    assert main(["encoder", "pretrain", "--samples", *map(str, samples), "--out", str(ckpt), "--no-progress"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert ckpt.read_bytes() == before


def test_bad_output_name_is_a_clear_error(samples, tmp_path, capsys):
    rc = main(["encoder", "embed", "--sample", str(samples[0]), "--out", str(tmp_path / "emb.txt")])
    assert rc == 1
    assert "--out must end in .npy" in capsys.readouterr().err
