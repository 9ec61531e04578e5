"""Chunked runs: reproducibility, resume after a kill, Dask, and bad output paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from mlhad.config import GeneratorConfig
from mlhad.exceptions import SampleError, SampleExistsError
from mlhad.generators import generate
from mlhad.io import open_sample

pytestmark = pytest.mark.pythia

CONFIG = GeneratorConfig(preset="lep1", n_events=300, chunk_size=100, seed=2024)


def chunk_hashes(sample):
    return {c.index: c.sha256 for c in sample.chunks}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return generate(CONFIG, tmp_path_factory.mktemp("ref") / "s", workers=1, progress=False)


def test_same_seed_gives_identical_files_for_any_worker_count(reference, tmp_path):
    two = generate(CONFIG, tmp_path / "w2", workers=2, progress=False)
    assert chunk_hashes(two) == chunk_hashes(reference)
    other = generate(CONFIG.replace(seed=2025), tmp_path / "other", workers=1, progress=False)
    assert set(chunk_hashes(other).values()).isdisjoint(chunk_hashes(reference).values())


def test_interrupted_run_resumes_to_identical_sample(reference, tmp_path):
    out = tmp_path / "s"

    def stop_after_first(task, stats):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(CONFIG, out, workers=1, progress=False, on_chunk=stop_after_first)
    partial = open_sample(out)
    assert partial.n_events == 100 and not partial.is_complete
    first = chunk_hashes(partial)
    with pytest.raises(SampleExistsError, match="--resume"):
        generate(CONFIG, out, workers=1, progress=False)
    resumed = generate(CONFIG, out, resume=True, workers=1, progress=False)
    assert resumed.is_complete
    assert chunk_hashes(resumed) == chunk_hashes(reference)
    assert chunk_hashes(resumed)[0] == first[0]  # the finished chunk was kept, not redone


def test_killed_process_keeps_finished_chunks(reference, tmp_path):
    """A real SIGKILL in the middle of a run: finished chunks survive, resume completes."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mlhad.cli.main", "generate", "--events", "300", "--chunk-size", "100",
           "--seed", "2024", "--workers", "1", "--out", str(out), "--no-progress"]
    env = dict(os.environ, MLHAD_NO_PROGRESS="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / "chunks.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (manifest.exists() and manifest.read_text().count("\n") >= 1):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert manifest.exists(), "the run was killed before finishing any chunk"
    done = open_sample(out).chunks
    assert 1 <= len(done) <= 3
    resumed = generate(CONFIG, out, resume=True, workers=1, progress=False)
    assert chunk_hashes(resumed) == chunk_hashes(reference)


def test_half_written_chunk_is_ignored_and_regenerated(reference, tmp_path):
    out = tmp_path / "half"
    generate(CONFIG, out, workers=1, progress=False)
    # simulate a kill after writing chunk 2 but before recording it in the manifest
    lines = (out / "chunks.jsonl").read_text().splitlines()
    (out / "chunks.jsonl").write_text("\n".join(line for line in lines if json.loads(line)["index"] != 2) + "\n")
    (out / "chunks" / "chunk-00002.parquet").write_bytes(b"PAR1 truncated")
    sample = open_sample(out)
    assert [c.index for c in sample.chunks] == [0, 1]
    assert len(sample.read(["event"])) == 200
    resumed = generate(CONFIG, out, resume=True, workers=1, progress=False)
    assert chunk_hashes(resumed) == chunk_hashes(reference)


def test_resume_refuses_a_different_configuration(tmp_path):
    out = tmp_path / "s"
    generate(CONFIG.replace(n_events=100), out, workers=1, progress=False)
    with pytest.raises(SampleError, match="different configuration"):
        generate(CONFIG.replace(n_events=100, seed=9), out, resume=True, workers=1, progress=False)


def test_overwrite_replaces_only_our_files(tmp_path):
    out = tmp_path / "s"
    generate(CONFIG.replace(n_events=100), out, workers=1, progress=False)
    (out / "notes.txt").write_text("mine")
    generate(CONFIG.replace(n_events=100, seed=3), out, overwrite=True, workers=1, progress=False)
    assert (out / "notes.txt").read_text() == "mine"
    assert open_sample(out).metadata["config"]["seed"] == 3


def test_bad_output_paths(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SampleError, match="cannot create output directory"):
        generate(CONFIG, tmp_path / "file" / "sub", progress=False)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.txt").write_text("precious")
    with pytest.raises(SampleError, match="not empty and holds no mlhad sample"):
        generate(CONFIG, foreign, progress=False)
    assert (foreign / "data.txt").read_text() == "precious"


def test_dask_backend_produces_the_same_events(reference, tmp_path):
    from dask import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        sample = generate(CONFIG, tmp_path / "dask", scheduler=client, progress=False)
    assert chunk_hashes(sample) == chunk_hashes(reference)
