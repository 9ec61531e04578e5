"""Reading samples: column projection, corruption, extra column sets, memory."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pyarrow as pa
import pytest

from mlhad.exceptions import CorruptChunkError, MissingColumnError, SampleError, SampleNotFoundError
from mlhad.io import open_sample

pytestmark = pytest.mark.pythia


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    config = GeneratorConfig(preset="lep1", n_events=600, chunk_size=200, seed=77)
    return generate(config, tmp_path_factory.mktemp("io") / "s", workers=1, progress=False)


def test_metadata_records_how_the_sample_was_made(sample):
    meta = sample.metadata
    assert meta["config"]["seed"] == 77 and meta["config"]["preset"] == "lep1"
    assert meta["versions"]["pythia8mc"] == "8.317.2"
    assert meta["fragmentation_base"]["StringZ:aLund"] == pytest.approx(0.68)
    assert (sample.path / meta["pythia_settings_file"]).read_text().startswith("! List of all current PYTHIA")
    assert sample.n_events == 600 and sample.is_complete


def test_column_projection(sample):
    events = sample.read(["particles.px", "breaks.z"])
    assert events.fields == ["particles", "breaks"]
    assert events.particles.fields == ["px"] and events.breaks.fields == ["z"]
    assert len(events) == 600


def test_events_are_numbered_in_chunk_order(sample):
    ev = sample.read(["event"])
    assert ak.to_numpy(ev.event).tolist() == list(range(600))


def test_iteration_by_chunk(sample):
    sizes = [len(b) for b in sample.iter_batches(["event"])]
    assert sizes == [200, 200, 200]


def test_charged_particles_and_parents(sample):
    ev = sample.read(["particles"])
    p = ev.particles
    final = p.status == 1
    # charge conservation: e+e- -> hadrons is neutral in the final state
    assert ak.all(ak.sum(p.charge[final], axis=1) == 0)
    # energy conservation in the final state (float32 storage)
    np.testing.assert_allclose(ak.to_numpy(ak.sum(p.e[final], axis=1)), 91.2, rtol=1e-5)
    # parents point to earlier, decayed particles of the same event
    par = ak.flatten(p.parent)
    idx = ak.flatten(ak.local_index(p))
    assert ak.all(par < idx)  # Pythia appends decay products after their mother
    has_parent = p.parent >= 0
    parent_status = p.status[p.parent[has_parent]]
    assert ak.all(ak.flatten(parent_status) == 2), "every parent is a decayed particle (status 2)"
    # and every decayed particle has products that point back to it
    n_children = ak.to_numpy(ak.sum(has_parent, axis=1))
    assert np.all(n_children >= ak.to_numpy(ak.sum(p.status == 2, axis=1)))


def test_missing_column_says_what_exists(sample):
    with pytest.raises(MissingColumnError, match=r"column 'nonsense' is not in the sample"):
        sample.read(["nonsense"])


def test_sample_without_histories_says_so(tmp_path):
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    s = generate(GeneratorConfig(n_events=50, chunk_size=50, history=False), tmp_path / "nh", progress=False)
    with pytest.raises(MissingColumnError, match="without fragmentation histories"):
        s.read(["breaks.z"])


def test_not_a_sample(tmp_path):
    with pytest.raises(SampleNotFoundError, match="no mlhad sample at"):
        open_sample(tmp_path)


def test_corrupted_chunk_is_reported_with_the_fix(sample, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sample.path, copy)
    chunk = copy / "chunks" / "chunk-00001.parquet"
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2])
    damaged = open_sample(copy)
    with pytest.raises(CorruptChunkError, match=r"chunk-00001.parquet is corrupted.*--resume"):
        damaged.read(["event"])
    # a same-size corruption is caught by the checksum
    chunk.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(CorruptChunkError, match="checksum"):
        damaged.read(["event"], verify=True)


def test_column_sets_are_aligned_and_atomic(sample):
    weights = [ak.zip({"w": np.full(c.n_events, float(c.index))}) for c in sample.chunks]
    sample.write_column_set("test_weights", weights, metadata={"target": "x"})
    assert "test_weights" in sample.column_sets()
    back = sample.read_column_set("test_weights")
    assert ak.to_numpy(back.w).tolist() == [0.0] * 200 + [1.0] * 200 + [2.0] * 200
    assert sample.column_set_metadata("test_weights") == {"target": "x"}
    with pytest.raises(SampleError, match="already exists"):
        sample.write_column_set("test_weights", weights)
    with pytest.raises(SampleError, match="rows for"):
        sample.write_column_set("bad", [w[:10] for w in weights])
    assert "bad" not in sample.column_sets()


# Peak resident memory of this process image from /proc (VmHWM, in kB). Not getrusage's
# ru_maxrss: Linux carries that over exec from the forked parent, so after pytest itself has
# grown the child would start at pytest's peak and show no growth at all.
_MEMORY_PROBE = """
import sys
from mlhad.io import open_sample

def peak_rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")

s = open_sample(sys.argv[1])
s.read(["event"], chunks=[0])                     # warm up imports and caches
base = peak_rss()
cols = None if sys.argv[2] == "all" else sys.argv[2].split(",")
arr = s.read(cols)
print(peak_rss() - base, arr.layout.nbytes)
"""


@pytest.mark.slow
def test_memory_scales_with_the_columns_asked_for(tmp_path):
    """Loading one column of a 100k-event sample costs about that column, not the file."""
    import subprocess
    import sys

    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    big = generate(GeneratorConfig(n_events=100_000, chunk_size=10_000, seed=5), tmp_path / "big",
                   workers=2, progress=False)

    def probe(columns: str) -> tuple[int, int]:
        out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(big.path), columns],
                             capture_output=True, text=True, check=True).stdout.split()
        return int(out[0]), int(out[1])

    grown_one, size_one = probe("particles.pz")
    grown_all, size_all = probe("all")
    assert size_all > 10 * size_one
    # the resident-set growth is the column itself plus decompression/offset buffers
    assert grown_one < 3 * size_one + 50e6, (grown_one, size_one)
    assert grown_all > 5 * grown_one, (grown_all, grown_one)
