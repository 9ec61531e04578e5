"""Pythia 8 as the simulator of a tune: generate (with histories), analyse, reweight.

Runs are stored under the tune's work directory, one sample directory per run, named
by its role and a digest of its generator configuration (``base-0-1a2b3c4d``,
``trial-0007-...``). Running the same tune again finds its runs and resumes them
(chunk seeds depend only on the run's seed and the chunk index, so a resumed run is
identical to an uninterrupted one): an interrupted tune restarts where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlhad.analysis import analysis_contributions, book
from mlhad.config import GeneratorConfig
from mlhad.exceptions import ReweightError, SampleError, TuneError
from mlhad.io import Sample, open_sample
from mlhad.reweight.parameters import canonical_name
from mlhad.yoda import YodaObject

from .simulator import SimulationRun

__all__ = ["PythiaSimulator", "sample_settings"]


def sample_settings(sample: Sample) -> dict[str, str]:
    """``{setting name (lower case): value}`` of every Pythia setting a sample was made with."""
    out: dict[str, str] = {}
    settings_file = sample.path / str(sample.metadata.get("pythia_settings_file", "pythia-settings.cmnd"))
    lines = settings_file.read_text(encoding="utf-8", errors="replace").splitlines() if settings_file.is_file() else []
    for text in list(lines) + list(sample.metadata.get("pythia_settings", [])):
        key, sep, value = str(text).partition("=")
        if sep and not key.lstrip().startswith("!"):
            out[key.strip().lower()] = value.strip()
    for key, value in (sample.metadata.get("fragmentation_base") or {}).items():
        out[str(key).lower()] = str(value)
    return out


@dataclass
class PythiaSimulator:
    """Pythia 8 runs analysed with mlhad's Rivet-style analyses.

    Args:
        reference: ``{analysis: {ref_path: object}}``: the data whose binning the
            histograms use (e.g. :func:`mlhad.compare.read_data`).
        work_dir: directory for the runs' samples.
        preset: generator preset (``lep1``).
        settings: extra Pythia settings for every run (applied before the point's).
        workers: processes for generation and analysis.
        chunk_size: events per chunk file.
        progress: progress bars.
    """

    reference: Mapping[str, Mapping[str, YodaObject]]
    work_dir: Path
    preset: str = "lep1"
    settings: tuple[str, ...] = ()
    workers: int = 2
    chunk_size: int = 5000
    progress: bool = True
    name: str = field(default="pythia", init=False)

    def __post_init__(self) -> None:
        self.work_dir = Path(self.work_dir)

    # -- what can be predicted ---------------------------------------------------------------
    def mc_paths(self, reference: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> tuple[list[str], dict[str, str]]:
        paths: list[str] = []
        skipped: dict[str, str] = {}
        for name, objects in (reference or self.reference).items():
            bookings, left = book(name, objects)
            paths += list(bookings)
            skipped.update(left)
        return paths, skipped

    def check_reweightable(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                canonical_name(name)
            except ReweightError as err:
                raise TuneError(
                    f"--method gradient reweights a base sample, but {err}. Tune {name} with --method optuna or "
                    "--method surrogate (they run Pythia at every point), or fix it in the limits file"
                ) from None

    # -- runs -----------------------------------------------------------------------------------
    def _analyse(self, sample: Sample) -> dict[str, Any]:
        return {name: analysis_contributions(sample, name, reference=objects, progress=self.progress,
                                             workers=self.workers)
                for name, objects in self.reference.items()}

    def _run_from_sample(self, sample: Sample, point: dict[str, float], label: str, seconds: float) -> SimulationRun:
        from mlhad.reweight import reweighter_from_sample

        t0 = time.perf_counter()
        contributions = self._analyse(sample)
        make = (lambda names: reweighter_from_sample(sample, names)) if sample.has_history else None
        seed = int(sample.metadata.get("config", {}).get("seed", 0))
        return SimulationRun(point=point, n_events=sample.n_events, seed=seed, contributions=contributions,
                             label=label, path=str(sample.path), seconds=seconds + time.perf_counter() - t0,
                             make_reweighter=make)

    def run(self, point: Mapping[str, float], n_events: int, seed: int, *, label: str,
            histories: bool = True) -> SimulationRun:
        """Generate ``n_events`` at ``point`` into ``work_dir/label`` (resumed if already there) and analyse."""
        settings = tuple(self.settings) + tuple(f"{k} = {float(v)!r}" for k, v in point.items())
        config = GeneratorConfig(preset=self.preset, n_events=int(n_events), seed=int(seed), settings=settings,
                                 history=histories, chunk_size=min(self.chunk_size, int(n_events)))
        # the directory name carries a digest of the configuration: a rerun of the same tune
        # finds (and resumes) its runs, a changed tune never collides with an old run
        digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
        out = self.work_dir / f"{label}-{digest}"
        from mlhad.generators import generate

        t0 = time.perf_counter()
        resume = (out / "mlhad-sample.json").exists()
        try:
            sample = generate(config, out, resume=resume, workers=self.workers, progress=self.progress)
        except SampleError as err:
            raise TuneError(f"cannot use the run directory {out}: {err}; remove it or choose another --out") from err
        return self._run_from_sample(sample, {k: float(v) for k, v in point.items()}, label, time.perf_counter() - t0)

    def setting_of(self, path: str, name: str) -> float | None:
        """The value of Pythia setting ``name`` in the sample at ``path``, or None if unknown/not numeric."""
        text = sample_settings(open_sample(path)).get(name.lower())
        try:
            return None if text is None else float(text)
        except ValueError:
            return None

    def load(self, path: str, *, label: str = "base") -> SimulationRun:
        sample = open_sample(path)
        if sample.n_events == 0:
            raise TuneError(f"the base sample {path} has no events; generate it first (mlhad generate)")
        base = sample.metadata.get("fragmentation_base") or {}
        point = {k: float(v) for k, v in base.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return self._run_from_sample(sample, point, label, 0.0)
