"""``run_sbi``: from files (data YODA, base sample, limits) to a written posterior report.

What ``mlhad sbi`` calls. Each step is a public function of this package, so the same
run is a few lines of Python::

    refs, skipped = read_references(["rivet_data/ALEPH_1996_S3486095.yoda"])
    contribs = {a: analysis_contributions(sample, a, reference=r) for a, r in refs.items()}
    obs = build_observation(refs, contribs, weight_file="weights.txt", skipped=skipped)
    sim = ReweightingSimulator(sample, obs, contribs, limits.names)
    result = infer(sim, limits, SBIConfig(limits=limits, n_simulations=2000))
    write_sbi_report(result, "runs/sbi-aleph")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlhad.analysis import analysis_contributions
from mlhad.exceptions import InferenceError
from mlhad.io import open_sample

from .config import SBIConfig
from .infer import SBIResult, infer
from .observation import Observation, build_observation, read_references
from .pythia_sim import PythiaSimulator
from .report import prepare_output, write_sbi_report
from .reweighting import ReweightingSimulator

__all__ = ["run_sbi", "load_observation"]


def load_observation(data: Sequence[str | os.PathLike[str]], sample, *, weight_file: str | os.PathLike[str] | None = None,
                     progress: bool = True, workers: int = 1):
    """Data files + a sample -> ``(observation, references, contributions)``.

    The sample's contributions are computed (or read from the cache beside it) with the
    data's own binning; objects that cannot be used are listed in ``observation.skipped``.
    """
    references, skipped = read_references(data)
    contributions = {name: analysis_contributions(sample, name, reference=refs, progress=progress, workers=workers)
                     for name, refs in references.items()}
    obs = build_observation(references, contributions, weight_file=weight_file, skipped=skipped)
    return obs, references, contributions


def run_sbi(data: Sequence[str | os.PathLike[str]], config: SBIConfig, *, base: str | os.PathLike[str] | None = None,
            weight_file: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None,
            overwrite: bool = False, plots: bool = True, progress: bool = True, workers: int = 1,
            scheduler: Any = None, pythia_settings: Sequence[str] = ()) -> tuple[SBIResult, Observation, Path | None]:
    """Posterior of ``config.limits`` given reference data files.

    Args:
        data: reference YODA files.
        config: the run (limits, simulations, estimator, calibration).
        base: base sample directory: reweighted (``simulator="reweight"``), or only used
            to book the histograms (``simulator="pythia"``; if None a pilot run of
            ``config.pythia_events`` at the box centre does it).
        weight_file: Professor-style weights selecting histograms and points.
        out: output directory for samples, summary, report and plots (None: none).
        overwrite: allow a non-empty ``out``.
        plots: draw the plots.
        progress: progress bars.
        workers: processes for the observable pass and for Pythia runs.
        scheduler: Dask client or address for the Pythia runs.
        pythia_settings: fixed extra Pythia settings of the fresh runs.

    Returns:
        ``(result, observation, index.md path or None)``.
    """
    if out is not None:
        prepare_output(out, overwrite)   # fail before the expensive steps
    if config.simulator == "reweight":
        if base is None:
            raise InferenceError("the reweighting simulator needs a base sample (--base runs/monash); "
                                 "or use --simulator pythia")
        sample = open_sample(base)
        obs, references, contributions = load_observation(data, sample, weight_file=weight_file, progress=progress,
                                                          workers=workers)
        simulator = ReweightingSimulator(sample, obs, contributions, config.limits.names)
        source = str(sample.path)
    else:
        if base is None:
            from mlhad.config import GeneratorConfig
            from mlhad.generators import generate

            pilot = Path(out or ".") / "pilot-sample"
            point = tuple(f"{n} = {v!r}" for n, v in zip(config.limits.names, config.limits.centre.tolist()))
            sample = generate(GeneratorConfig(n_events=config.pythia_events, seed=config.seed, history=False,
                                              settings=tuple(pythia_settings) + point), pilot, workers=workers,
                              scheduler=scheduler, progress=progress, overwrite=True)
        else:
            sample = open_sample(base)
        obs, references, _ = load_observation(data, sample, weight_file=weight_file, progress=progress,
                                              workers=workers)
        simulator = PythiaSimulator(obs, references, config.limits.names, n_events=config.pythia_events,
                                    settings=pythia_settings, seed=config.seed, workers=workers, scheduler=scheduler,
                                    workdir=Path(out) / "pythia-runs" if out is not None else None)
        source = f"fresh Pythia runs of {config.pythia_events} events"
    result = infer(simulator, config.limits, config, progress=progress)
    index = None
    if out is not None:
        meta = {"title": f"{', '.join(obs.analyses)} with {', '.join(result.limits.short_names)}",
                "data": ", ".join(str(d) for d in data), "sample": source,
                "weight_file": None if weight_file is None else str(weight_file)}
        index = write_sbi_report(result, out, meta=meta, plots=plots, overwrite=True)
    return result, obs, index
