"""Contributions stored beside a sample, one file per sample chunk, keyed by what made them.

Layout::

    <sample>/contributions/<ANALYSIS>-<key>/info.json          what the key stands for
    <sample>/contributions/<ANALYSIS>-<key>/chunk-00000.npz    one per sample chunk

The key (:func:`cache_key`) hashes everything the contributions depend on: the
analysis, the beam energy, the booked histograms (registry entries, fill modes and
reference bin edges), the format version, the fastjet version and the *source code* of
:mod:`mlhad.observables`, :mod:`mlhad.registry` and the extraction code. A change in
any of them gives a new key, so stale results are never read; an old directory is simply
no longer used (delete it with :func:`clear_cache`). Each chunk file also records the
SHA-256 of the sample chunk it was computed from and is ignored if the chunk changed.
Files are written atomically (temporary name, then rename), so an interrupted run
leaves only complete files and resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mlhad.io.chunks import atomic_write_bytes, atomic_write_text

from .booking import Booking, bookings_digest
from .contributions import FORMAT_VERSION, Contributions, HistogramContributions

__all__ = ["cache_key", "cache_dir", "save_chunk", "load_chunk", "clear_cache", "CACHE_DIRNAME"]

CACHE_DIRNAME = "contributions"
_SOURCES = {
    "mlhad.observables": None,
    "mlhad.registry": None,
    "mlhad.analysis": ("sparse.py", "booking.py", "extract.py", "contributions.py"),
}


def _source_digest() -> str:
    import importlib

    h = hashlib.sha256()
    for package, files in _SOURCES.items():
        root = Path(importlib.import_module(package).__file__).parent  # type: ignore[arg-type]
        for path in sorted(root.glob("*.py")):
            if files is None or path.name in files:
                h.update(path.name.encode())
                h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(analysis: str, beam_energy: float, bookings: Mapping[str, Booking]) -> tuple[str, dict]:
    """``(key, description)``: a 16-hex-digit key and the inputs it was made from."""
    try:
        import fastjet

        fastjet_version = str(getattr(fastjet, "__version__", "unknown"))
    except ImportError:  # pragma: no cover - fastjet is a dependency
        fastjet_version = "absent"
    info = {
        "analysis": analysis,
        "beam_energy": float(beam_energy),
        "format_version": FORMAT_VERSION,
        "bookings": bookings_digest(bookings),
        "code": _source_digest(),
        "fastjet": fastjet_version,
    }
    key = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()[:16]
    return key, info


def cache_dir(sample_path: Path, analysis: str, key: str) -> Path:
    return Path(sample_path) / CACHE_DIRNAME / f"{analysis}-{key}"


def save_chunk(directory: Path, index: int, chunk_sha256: str, part: Contributions, n_charged: np.ndarray,
               info: dict) -> None:
    """Store one chunk's contributions (event indices local to the chunk)."""
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "info.json").exists():
        atomic_write_text(directory / "info.json", json.dumps(info, indent=1, sort_keys=True))
    hists = list(part.histograms.values())
    arrays: dict[str, np.ndarray] = {
        "chunk_sha256": np.array(chunk_sha256),
        "paths": np.array([h.path for h in hists]),
        "n_charged": n_charged.astype(np.int32),
        "n_undefined": np.array([h.metadata.get("n_undefined", 0) for h in hists], dtype=np.int64),
        "offsets": np.cumsum([0] + [h.n_rows for h in hists]).astype(np.int64),
        "event": np.concatenate([h.event for h in hists]).astype(np.int32),
        "bin": np.concatenate([h.bin for h in hists]).astype(np.int16),
    }
    for name in ("count", "sumx", "sumx2"):
        if any(getattr(h, name) is None for h in hists):
            raise ValueError(f"cannot store contributions without {name!r} (computed with moments=False)")
        arrays[name] = np.concatenate([getattr(h, name) for h in hists])
    for i, h in enumerate(hists):
        # plain fills (a = 1) have count2 = n_fills = count: stored only where they differ
        if h.count2 is not h.count:
            arrays[f"count2_{i}"] = h.count2
        if h.n_fills is not h.count:
            arrays[f"n_fills_{i}"] = h.n_fills
        if h.sumy is not None:
            for name in ("sumy", "sumy2", "sumxy"):
                arrays[f"{name}_{i}"] = getattr(h, name)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(directory / f"chunk-{index:05d}.npz", buffer.getvalue())


def load_chunk(directory: Path, index: int, chunk_sha256: str, bookings: Mapping[str, Booking], *,
               analysis: str, beam_energy: float, moments: bool = True) -> Contributions | None:
    """The stored contributions of a chunk, or None if absent, unreadable or made from other data.

    With ``moments=False`` the x moments (``sumx``, ``sumx2``) are not read.
    """
    from .extract import entry_metadata

    path = directory / f"chunk-{index:05d}.npz"
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            skip = () if moments else ("sumx", "sumx2")
            stored = {k: data[k] for k in data.files if k not in skip}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # unreadable (e.g. truncated): recomputed and rewritten by the caller
    if str(stored["chunk_sha256"]) != chunk_sha256 or list(stored["paths"]) != list(bookings):
        return None
    n_charged = stored["n_charged"].astype(np.int64)
    offsets = stored["offsets"]
    accepted_by_cut: dict[int, np.ndarray] = {}
    histograms = {}
    for i, (p, b) in enumerate(bookings.items()):
        e = b.entry
        sl = slice(int(offsets[i]), int(offsets[i + 1]))
        accepted = accepted_by_cut.setdefault(e.min_charged, n_charged >= e.min_charged)
        profile = {name: stored[f"{name}_{i}"] for name in ("sumy", "sumy2", "sumxy") if f"{name}_{i}" in stored}
        count = stored["count"][sl]
        histograms[p] = HistogramContributions(
            path=p, normalisation=e.normalisation, kind=e.kind, edges=b.edges, ref_bins=b.ref_bins,
            accepted=accepted, event=stored["event"][sl].astype(np.int64), bin=stored["bin"][sl].astype(np.int32),
            count=count, count2=stored.get(f"count2_{i}", count), n_fills=stored.get(f"n_fills_{i}", count),
            sumx=stored["sumx"][sl] if moments else None, sumx2=stored["sumx2"][sl] if moments else None, **profile,
            metadata=entry_metadata(b, int(stored["n_undefined"][i])),
        )
    return Contributions(analysis=analysis, n_events=int(n_charged.shape[0]), beam_energy=float(beam_energy),
                         histograms=histograms,
                         metadata={"n_vetoed": int((n_charged < min(accepted_by_cut, default=2)).sum())})


def clear_cache(sample_path: str | Path, analysis: str | None = None) -> int:
    """Delete stored contributions of a sample (of one analysis, or all); return how many sets."""
    root = Path(sample_path) / CACHE_DIRNAME
    if not root.exists():
        return 0
    removed = 0
    for d in sorted(root.iterdir()):
        if d.is_dir() and (analysis is None or d.name.startswith(f"{analysis}-")):
            shutil.rmtree(d)
            removed += 1
    return removed
