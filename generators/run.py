"""Generate a sample: chunks in parallel (local processes or Dask), resumable, atomic.

    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate
    sample = generate(GeneratorConfig(preset="lep1", n_events=100_000, seed=1), "runs/monash")
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from mlhad.config import GeneratorConfig
from mlhad.exceptions import SampleError, SampleExistsError
from mlhad.io import ChunkStore, Sample
from mlhad.io.chunks import atomic_write_text

from .chunk_worker import ChunkTask, chunk_tasks, run_chunk
from .metadata import sample_metadata
from .presets import get_preset
from mlhad.progress import progress_bar

__all__ = ["generate", "prepare_output"]


def prepare_output(out: Path, config: GeneratorConfig, *, resume: bool, overwrite: bool) -> dict[str, Any]:
    """Check the output directory and write (or re-read) the sample metadata.

    Nothing existing is touched unless ``overwrite`` is asked for, and then only mlhad's
    own files are removed.
    """
    store = ChunkStore(out)
    if resume and overwrite:
        raise SampleError("choose either --resume or --overwrite, not both")
    get_preset(config.preset)  # unknown preset: fail before touching the disk
    if out.exists() and not out.is_dir():
        raise SampleError(f"output path {out} exists and is not a directory")
    existing = store.metadata_path.exists()
    if out.exists() and not existing and any(out.iterdir()):
        raise SampleError(
            f"output directory {out} is not empty and holds no mlhad sample; choose a new or empty directory"
        )
    if existing and not (resume or overwrite):
        raise SampleExistsError(
            f"{out} already holds a sample; use --resume to finish it or --overwrite to replace it"
        )
    if existing and resume:
        meta = json.loads(store.metadata_path.read_text())
        old = GeneratorConfig.from_dict(meta["config"])
        if old != config:
            diff = {k: (v, config.to_dict()[k]) for k, v in old.to_dict().items() if v != config.to_dict()[k]}
            raise SampleError(
                f"cannot resume {out}: it was made with a different configuration {diff} "
                "(old, new); repeat the original command with --resume"
            )
        return meta
    meta, settings_text = sample_metadata(config)  # validates every setting with a real Pythia init
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SampleError(f"cannot create output directory {out}: {err.strerror}") from err
    if not os.access(out, os.W_OK):
        raise SampleError(f"output directory {out} is not writable")
    if existing and overwrite:
        for name in ("chunks", "columns"):
            shutil.rmtree(out / name, ignore_errors=True)
        store.manifest_path.unlink(missing_ok=True)
    atomic_write_text(out / meta["pythia_settings_file"], settings_text)
    atomic_write_text(store.metadata_path, json.dumps(meta, indent=1, sort_keys=True))
    return meta


def _run_local(tasks: list[ChunkTask], workers: int) -> Iterator[tuple[ChunkTask, bytes, dict]]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            data, stats = run_chunk(task)
            yield task, data, stats
        return
    import multiprocessing

    # fork (Linux): workers need no `if __name__ == "__main__"` guard in user scripts and only
    # run Pythia (no torch/OpenMP work), so forking a process with threads is safe here.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {pool.submit(run_chunk, task): task for task in tasks}
        try:
            for fut in as_completed(futures):
                data, stats = fut.result()
                yield futures[fut], data, stats
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _run_dask(tasks: list[ChunkTask], scheduler: Any) -> Iterator[tuple[ChunkTask, bytes, dict]]:
    from dask.distributed import Client, as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(run_chunk, tasks, pure=False)
        owner = {fut.key: task for fut, task in zip(futures, tasks)}
        for fut in dask_completed(futures):
            data, stats = fut.result()
            yield owner[fut.key], data, stats
    finally:
        if not isinstance(scheduler, Client):
            client.close()


def generate(
    config: GeneratorConfig,
    out: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
    on_chunk: Callable[[ChunkTask, dict], None] | None = None,
) -> Sample:
    """Generate ``config.n_events`` events into the sample directory ``out``.

    Args:
        config: what to generate.
        out: sample directory (created).
        resume: finish an interrupted run (only missing chunks are generated).
        overwrite: replace an existing sample at ``out``.
        workers: local worker processes (default: CPU count, at most the number of chunks).
        scheduler: a ``dask.distributed.Client`` or scheduler address; if given, chunks
            run on that cluster instead of local processes.
        progress: show a progress bar.
        on_chunk: optional callback after each stored chunk (for tests/monitoring).

    Returns:
        The (complete) :class:`~mlhad.io.Sample`.
    """
    out = Path(out)
    prepare_output(out, config, resume=resume, overwrite=overwrite)
    store = ChunkStore(out)
    done = store.finished()
    tasks = [t for t in chunk_tasks(config) if t.index not in done]
    if workers is None:
        workers = os.cpu_count() or 1
    workers = max(1, min(int(workers), len(tasks) or 1))
    source: Iterable = _run_dask(tasks, scheduler) if scheduler is not None else _run_local(tasks, workers)
    already = sum(info.n_events for info in done.values())
    t0 = time.perf_counter()
    with progress_bar(total=config.n_events, initial=already, unit="ev", desc="generate",
                      disable=not progress) as bar:
        for task, data, stats in source:
            store.write_chunk(task.index, data, n_events=task.n_events, first_event=task.first_event,
                              seed=task.seed, stats=stats)
            bar.update(task.n_events)
            if on_chunk is not None:
                on_chunk(task, stats)
    sample = Sample(out)
    sample.last_run_seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
    return sample
