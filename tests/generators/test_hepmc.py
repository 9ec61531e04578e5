"""HepMC3 export: the same particles, a consistent decay tree, readable by pyhepmc."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pyhepmc
import pytest

from mlhad.exceptions import SampleError
from mlhad.generators.hepmc import export_hepmc

pytestmark = pytest.mark.pythia


def test_round_trip(lep1_sample, tmp_path):
    out = tmp_path / "ev.hepmc"
    n = export_hepmc(lep1_sample, out, max_events=40, progress=False)
    assert n == 40
    ev = lep1_sample.read(["particles"])[:40]
    with pyhepmc.open(str(out)) as f:
        events = list(f)
    assert len(events) == 40
    for evt, parts in zip(events, ev.particles):
        beams = [p for p in evt.particles if p.status == 4]
        assert sorted(p.pid for p in beams) == [-11, 11]
        final = [p for p in evt.particles if p.status == 1]
        assert len(final) == int(ak.sum(parts.status == 1))
        # four-momentum of the final state = the beams' (91.2 GeV at rest)
        e = sum(p.momentum.e for p in final)
        pz = sum(p.momentum.pz for p in final)
        assert e == pytest.approx(91.2, rel=1e-5) and abs(pz) < 1e-3
        # every decayed particle ends in a vertex with outgoing particles
        for p in evt.particles:
            if p.status == 2:
                assert p.end_vertex is not None and len(p.end_vertex.particles_out) > 0
        pids = sorted(p.pid for p in evt.particles if p.status in (1, 2))
        assert pids == sorted(ak.to_list(parts.pid))


def test_refuses_to_overwrite(lep1_sample, tmp_path):
    out = tmp_path / "ev.hepmc"
    out.write_text("keep")
    with pytest.raises(SampleError, match="exists"):
        export_hepmc(lep1_sample, out, progress=False)
    assert out.read_text() == "keep"
