"""The fresh-Pythia simulator: one new sample per parameter point, analysed like the data.

Each point runs :func:`mlhad.generators.generate` (local worker processes, or a Dask
cluster through ``scheduler``) with the point's settings appended to the preset, then
:func:`mlhad.analysis.analysis_contributions` and :func:`mlhad.analysis.predict` on the
new sample. Any Pythia parameter can be inferred this way (flavour parameters too);
the cost is ``n_events`` generated and analysed events per simulation (see
``benchmarks/bench_sbi.py`` for the rate). The seed of each run is derived from the
simulator's seed and the point, so repeating a point repeats its sample.

The prediction of a fresh run fluctuates by its own MC error: a pseudo-observation adds
only the data noise (``include_mc_error = False``, see :mod:`.simulator`).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.analysis import analysis_contributions, predict
from mlhad.config import PYTHIA_SEED_MAX, GeneratorConfig
from mlhad.exceptions import InferenceError
from mlhad.progress import progress_bar
from mlhad.yoda import YodaObject

from .limits import resolve_name
from .observation import Observation
from .simulator import SimulatorOutput

__all__ = ["PythiaSimulator", "point_seed"]


def point_seed(seed: int, theta: np.ndarray) -> int:
    """A Pythia seed in [1, 900000000] from the master seed and the point's exact values."""
    h = hashlib.sha256(np.asarray([seed], dtype=np.int64).tobytes() + np.asarray(theta, dtype=np.float64).tobytes())
    return int.from_bytes(h.digest()[:8], "little") % PYTHIA_SEED_MAX + 1


class PythiaSimulator:
    """Predictions of an observation from fresh Pythia runs.

    Args:
        observation: the data vector to predict.
        references: ``{analysis: {ref_path: object}}`` (binning of the histograms).
        params: Pythia parameter names (aliases of reweightable ones accepted).
        n_events: events per run.
        preset, settings: the generator preset and fixed extra settings.
        seed: master seed of the runs.
        workers: local processes per run; ``scheduler`` a Dask client/address instead.
        chunk_size: events per chunk (the unit of parallelism; default n_events / workers).
        workdir: where the temporary samples go (default: a temporary directory).
        keep: keep the samples under ``workdir`` (for inspection) instead of deleting each
            after its analysis.
    """

    include_mc_error = False

    def __init__(self, observation: Observation, references: Mapping[str, Mapping[str, YodaObject]],
                 params: Sequence[str], *, n_events: int = 20_000, preset: str = "lep1",
                 settings: Sequence[str] = (), seed: int = 1, workers: int = 1, scheduler: Any = None,
                 chunk_size: int | None = None, workdir: str | Path | None = None, keep: bool = False) -> None:
        if isinstance(n_events, bool) or not isinstance(n_events, int) or n_events < 100:
            raise InferenceError(f"n_events per Pythia run must be an integer >= 100, got {n_events!r}")
        self.observation = observation
        self.references = {k: dict(v) for k, v in references.items()}
        self.params = tuple(resolve_name(p) for p in params)
        self.n_events = n_events
        self.preset = preset
        self.settings = tuple(settings)
        self.seed = int(seed)
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self.chunk_size = chunk_size or max(1000, -(-n_events // self.workers))
        self.workdir = Path(workdir) if workdir is not None else None
        self.keep = keep
        missing = [a for a in observation.analyses if a not in self.references]
        if missing:
            raise InferenceError(f"no reference objects for {missing}; pass the references the observation was built from")

    def config(self, theta: np.ndarray) -> GeneratorConfig:
        """The generator configuration of one point."""
        point = tuple(f"{name} = {float(v)!r}" for name, v in zip(self.params, theta))
        return GeneratorConfig(preset=self.preset, n_events=self.n_events, seed=point_seed(self.seed, theta),
                               settings=self.settings + point, history=False, chunk_size=self.chunk_size)

    def _run_one(self, theta: np.ndarray, root: Path) -> tuple[np.ndarray, np.ndarray]:
        from mlhad.generators import generate

        out = root / f"point-{point_seed(self.seed, theta)}"
        sample = generate(self.config(theta), out, workers=self.workers, scheduler=self.scheduler, progress=False,
                          overwrite=True)
        m = self.observation.n_points
        values, errors = np.full(m, np.nan), np.full(m, np.nan)
        try:
            for name in self.observation.analyses:
                contrib = analysis_contributions(sample, name, reference=self.references[name], progress=False,
                                                 cache=False, workers=self.workers)
                pred = predict(contrib)
                for h in self.observation.histograms:
                    if h.analysis != name:
                        continue
                    v, e = pred[h.path].at_reference()
                    values[h.slice], errors[h.slice] = v[h.points], e[h.points]
        finally:
            if not self.keep:
                shutil.rmtree(out, ignore_errors=True)
        return values, errors

    def predict(self, theta: np.ndarray, *, progress: bool = False) -> SimulatorOutput:
        """One Pythia run per row of ``theta`` ``(K, d)``."""
        th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if th.shape[1] != len(self.params) or not np.all(np.isfinite(th)):
            raise InferenceError(f"theta must be finite with {len(self.params)} columns {list(self.params)}, "
                                 f"got shape {th.shape}")
        values = np.empty((th.shape[0], self.observation.n_points))
        errors = np.empty_like(values)
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            root = self.workdir if self.keep and self.workdir is not None else Path(stack.enter_context(
                tempfile.TemporaryDirectory(dir=self.workdir, prefix="mlhad-sbi-")))
            bar = stack.enter_context(progress_bar(total=th.shape[0], unit="run", desc="pythia", disable=not progress))
            for k in range(th.shape[0]):
                values[k], errors[k] = self._run_one(th[k], root)
                bar.update(1)
        ones = np.ones(th.shape[0])
        return SimulatorOutput(th, values, errors, ones, np.ones(th.shape[0], dtype=bool))
