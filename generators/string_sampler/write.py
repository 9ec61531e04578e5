"""Write torch-sampled chains as an mlhad sample, readable with ``open_sample``.

The directory layout, chunk manifest and metadata keys are those of Pythia samples
(docs/sample_format.md); ``metadata["generator"]`` says the events come from the torch
chain sampler and with which z / pT models, and ``fragmentation_base`` holds the
StringParams in Pythia's names.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import awkward as ak

from mlhad.config import GeneratorConfig
from mlhad.exceptions import SampleExistsError
from mlhad.io import ChunkStore, array_to_parquet_bytes
from mlhad.io.chunks import atomic_write_text

from .params import PYTHIA_NAMES, StringParams

__all__ = ["write_sample"]


def write_sample(
    events: ak.Array,
    out: str | Path,
    *,
    params: StringParams,
    seed: int,
    models: dict[str, str],
    chunk_size: int = 50_000,
    overwrite: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Store events from :func:`fragment` as a sample directory.

    Args:
        events: events with the sample columns.
        out: output directory (must not hold a sample unless ``overwrite``).
        params: the StringParams they were made with.
        seed: the seed they were made with (recorded).
        models: descriptions of the z and pT models, e.g. ``{"z": "LundZ(a=0.68, b=0.98)"}``.
        chunk_size: events per Parquet chunk.
        overwrite: replace an existing sample's chunks and metadata.
        extra: more metadata to record (e.g. the flow's path).

    Returns:
        The sample directory.
    """
    root = Path(out)
    store = ChunkStore(root)
    if store.metadata_path.exists():
        if not overwrite:
            raise SampleExistsError(f"{root} already holds a sample; pass overwrite=True (--overwrite) to replace it")
        for info in store.entries().values():
            (root / info.file).unlink(missing_ok=True)
        store.manifest_path.unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    n = len(events)
    config = GeneratorConfig(preset="string", n_events=max(n, 1), seed=max(int(seed), 1),
                             energy=params.energy, history=True, chunk_size=min(chunk_size, max(n, 1)))
    meta = {
        "format": "mlhad-sample",
        "format_version": 1,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "generator": {"name": "mlhad.generators.string_sampler", "seed": int(seed), "models": models,
                      "string_params": params.to_dict()},
        "fragmentation_base": {PYTHIA_NAMES[k]: getattr(params, k) for k in PYTHIA_NAMES},
        **(extra or {}),
    }
    atomic_write_text(store.metadata_path, json.dumps(meta, indent=1, sort_keys=True, default=str))
    for index, start in enumerate(range(0, n, config.chunk_size)):
        part = events[start:start + config.chunk_size]
        store.write_chunk(index, array_to_parquet_bytes(part), n_events=len(part), first_event=start,
                          seed=int(seed), stats={})
    return root
