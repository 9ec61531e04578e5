"""``analysis_contributions``: the one pass over a sample that computes every observable of an analysis.

The sample is read chunk by chunk (bounded memory: one chunk of particles at a time),
each chunk's contributions are stored beside the sample (:mod:`mlhad.analysis.cache`)
and the chunks are joined at the end. A second call, by the fitter, the reweighter or
``mlhad compare``, reads the stored contributions instead of recomputing observables.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from mlhad.exceptions import ConfigError, HistogramError, SampleError
from mlhad.io import Sample, open_sample
from mlhad.progress import progress_bar
from mlhad.registry import analysis as registry_analysis
from mlhad.yoda import YodaObject

from .booking import Booking, book
from .cache import cache_dir, cache_key, load_chunk, save_chunk
from .contributions import Contributions
from .extract import compute_batch

__all__ = ["analysis_contributions", "PARTICLE_COLUMNS", "sample_sqrt_s"]

#: The particle columns the observables read.
PARTICLE_COLUMNS = tuple(f"particles.{f}" for f in ("px", "py", "pz", "e", "m", "pid", "charge", "status", "parent"))


def sample_sqrt_s(sample: Sample) -> float | None:
    """Centre-of-mass energy of a sample from its Pythia settings (``Beams:eCM``), or None."""
    for text in sample.metadata.get("pythia_settings", []) or []:
        key, _, value = str(text).partition("=")
        if key.strip().lower() == "beams:ecm":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _beam_energy(sample: Sample | None, name: str, beam_energy: float | None) -> float:
    ana = registry_analysis(name)
    if beam_energy is not None:
        if not (isinstance(beam_energy, (int, float)) and math.isfinite(beam_energy) and beam_energy > 0):
            raise ConfigError(f"beam_energy must be the beam momentum sqrt(s)/2 in GeV (> 0), got {beam_energy!r}")
        return float(beam_energy)
    if sample is not None:
        sqrt_s = sample_sqrt_s(sample)
        if sqrt_s is not None and abs(sqrt_s - ana.sqrt_s) > 1e-3 * ana.sqrt_s:
            raise ConfigError(
                f"the sample at {sample.path} was generated at sqrt(s) = {sqrt_s:g} GeV but {ana.name} measured "
                f"at {ana.sqrt_s:g} GeV; generate at {ana.sqrt_s:g} GeV, or pass beam_energy explicitly if you "
                "really mean to compare"
            )
    return ana.beam_energy


def _chunk_job(args: tuple[Any, ...]) -> tuple[int, Contributions, np.ndarray]:
    """Worker: read one chunk and compute its contributions (runs in a separate process)."""
    sample_path, index, bookings, name, beam_energy, skipped = args
    events = open_sample(sample_path).read(list(PARTICLE_COLUMNS), chunks=[index])
    part, n_charged = compute_batch(events.particles, bookings, analysis=name, beam_energy=beam_energy,
                                    skipped=skipped)
    return index, part, n_charged


def _drop_moments(part: Contributions) -> Contributions:
    hists = {p: replace(h, sumx=None, sumx2=None) for p, h in part.histograms.items()}
    return replace(part, histograms=hists)


def _from_sample(sample: Sample, bookings: dict[str, Booking], skipped: dict[str, str], name: str,
                 beam_energy: float, *, progress: bool, cache: bool, workers: int, moments: bool) -> Contributions:
    chunks = sample.chunks
    if not chunks:
        raise SampleError(f"the sample at {sample.path} has no finished chunks: no events to analyse")
    key, info = cache_key(name, beam_energy, bookings)
    directory = cache_dir(sample.path, name, key)
    parts: dict[int, Contributions] = {}
    if cache:
        for info_chunk in chunks:
            got = load_chunk(directory, info_chunk.index, info_chunk.sha256, bookings, analysis=name,
                             beam_energy=beam_energy, moments=moments)
            if got is not None:
                parts[info_chunk.index] = got
    todo = [c for c in chunks if c.index not in parts]
    can_write = cache
    with progress_bar(total=sum(c.n_events for c in chunks), initial=sum(p.n_events for p in parts.values()),
                      unit="ev", desc=f"analyse {name}", disable=not progress) as bar:
        jobs = [(str(sample.path), c.index, bookings, name, beam_energy, skipped) for c in todo]
        if workers > 1 and len(jobs) > 1:
            import multiprocessing

            # fork (Linux) needs no `if __name__ == "__main__"` guard in user scripts; the
            # workers only run numpy/awkward/fastjet code (as mlhad.generators does)
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                                       mp_context=multiprocessing.get_context(method))
            results = pool.map(_chunk_job, jobs)
        else:
            pool, results = None, map(_chunk_job, jobs)
        try:
            by_index = {c.index: c for c in todo}
            for index, part, n_charged in results:
                parts[index] = part if moments else _drop_moments(part)
                if can_write:
                    try:
                        save_chunk(directory, index, by_index[index].sha256, part, n_charged, info)
                    except OSError as err:
                        can_write = False
                        warnings.warn(f"cannot store contributions in {directory} ({err}); continuing without "
                                      "the cache (they will be recomputed next time)", stacklevel=3)
                bar.update(part.n_events)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    joined = Contributions.concatenate([parts[c.index] for c in chunks])
    meta = dict(joined.metadata)
    meta.update({"sample": str(sample.path), "cache_key": key, "cache_dir": str(directory) if cache else None,
                 "chunks_from_cache": len(chunks) - len(todo), "chunks_computed": len(todo)})
    return Contributions(analysis=name, n_events=joined.n_events, beam_energy=beam_energy,
                         histograms=joined.histograms, skipped=skipped, metadata=meta)


def analysis_contributions(
    source: Sample | str | Path | ak.Array,
    analysis: str = "ALEPH_1996_S3486095",
    *,
    beam_energy: float | None = None,
    reference: Mapping[str, YodaObject] | None = None,
    progress: bool = True,
    cache: bool = True,
    workers: int = 1,
    moments: bool = True,
) -> Contributions:
    """Compute (or load) the sparse contributions of every event to every histogram of an analysis.

    Args:
        source: a sample (:class:`~mlhad.io.Sample` or its directory), or an awkward
            array of events / their ragged ``particles`` (nothing is cached then).
        analysis: Rivet name or alias, e.g. ``"ALEPH_1996_S3486095"``.
        beam_energy: ``p_beam`` in GeV; default the analysis's ``sqrt(s)/2``. For a
            sample generated at another energy than the analysis's, a ConfigError is
            raised unless this is given.
        reference: reference objects whose binning to use (e.g. ``read_yoda(file)``);
            default the reference file shipped in ``mlhad.rivet_data``.
        progress: show a progress bar (also silenced by ``MLHAD_NO_PROGRESS=1``).
        cache: read and write the contributions stored beside the sample.
        workers: processes computing chunks in parallel (sample input only).
        moments: keep the x moments ``sumx``, ``sumx2`` (needed only to write YODA
            histograms); ``False`` saves 16 bytes per row, e.g. for fits on large samples.

    Returns:
        :class:`~mlhad.analysis.Contributions`: ``{mc_path: HistogramContributions}``
        plus the skipped reference objects and provenance metadata.

    Raises:
        SampleNotFoundError, SampleError: no sample, or one without events.
        RegistryError: unknown analysis.
        ConfigError: bad beam energy, or a sample generated at another energy.
        BinningMismatchError: a reference object no longer fits the registry.

    Example:
        >>> c = analysis_contributions("runs/monash")                     # doctest: +SKIP
        >>> h = c["/ALEPH_1996_S3486095/d09-x01-y01"]                     # doctest: +SKIP
        >>> h.event, h.bin, h.count                                       # doctest: +SKIP
    """
    name = registry_analysis(analysis).name
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    bookings, skipped = book(name, reference)
    if not bookings:
        raise HistogramError(f"no histogram of {name} to fill: the reference objects given contain none of its entries")
    if isinstance(source, ak.Array):
        energy = _beam_energy(None, name, beam_energy)
        if len(source) == 0:
            raise SampleError("no events given: cannot analyse an empty event array")
        contributions, _ = compute_batch(source, bookings, analysis=name, beam_energy=energy, skipped=skipped)
        return contributions if moments else _drop_moments(contributions)
    sample = source if isinstance(source, Sample) else open_sample(source)
    energy = _beam_energy(sample, name, beam_energy)
    return _from_sample(sample, bookings, skipped, name, energy, progress=progress, cache=cache, workers=workers,
                        moments=moments)
