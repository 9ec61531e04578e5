"""The compiled history recorder: builds, loads through Pythia's plugin system, records trials."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from mlhad.config import GeneratorConfig
from mlhad.generators.chunk_worker import chunk_tasks, generate_chunk
from mlhad.native.build import build_library, library_path

pytestmark = pytest.mark.pythia


def test_library_is_built_for_this_pythia():
    path = build_library()
    assert path == library_path() and path.exists()


def test_trial_records_contain_every_kept_z():
    """With detail 'trials', Pythia's own list of z trials holds each recorded break's z
    as an accepted trial, in the same order; rejected trials come in between."""
    config = GeneratorConfig(n_events=150, chunk_size=150, seed=9, history_detail="trials", history_backend="native")
    events, stats = generate_chunk(chunk_tasks(config)[0])
    assert stats["history_backend"] == "native"
    for ev in events[:60]:
        accepted_trials = ak.to_numpy(ev.trials.z[ev.trials.accepted])
        breaks_z = ak.to_numpy(ev.breaks.z)
        # closed gluon loops have one z draw before the first recorded break
        assert accepted_trials.size >= breaks_z.size
        if accepted_trials.size == breaks_z.size:
            np.testing.assert_array_equal(accepted_trials, breaks_z)
    frac_rejected = float(ak.mean(~ak.flatten(events.trials.accepted)))
    assert 0.2 < frac_rejected < 0.95, f"a flat proposal rejects a good share of trials: {frac_rejected:.2f}"
    assert set(events.breaks.fields) >= {"gamma_old", "x_pos_old", "x_neg_old", "px_old", "py_old"}
