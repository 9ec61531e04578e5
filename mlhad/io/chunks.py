"""Atomic, resumable chunk storage: the write side of the sample format.

A chunk is written to a hidden temporary file, flushed to disk, renamed into place and
only then appended to the manifest ``chunks.jsonl`` (one JSON object per line, also
flushed). A reader trusts only manifest entries whose file has the recorded size (and,
on request, checksum). A process killed at any point therefore leaves either a valid
chunk or one that readers ignore and ``--resume`` regenerates.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlhad.exceptions import CorruptChunkError, SampleError

__all__ = ["ChunkInfo", "ChunkStore", "atomic_write_bytes", "atomic_write_text", "sha256_of"]

MANIFEST = "chunks.jsonl"
METADATA = "mlhad-sample.json"
CHUNK_DIR = "chunks"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent/old or complete."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass(frozen=True)
class ChunkInfo:
    """One manifest entry."""

    index: int
    file: str
    n_events: int
    first_event: int
    bytes: int
    sha256: str
    seed: int
    stats: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


class ChunkStore:
    """The chunk files and manifest of one sample directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # -- paths ----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @property
    def metadata_path(self) -> Path:
        return self.root / METADATA

    def chunk_path(self, index: int) -> Path:
        return self.root / CHUNK_DIR / f"chunk-{index:05d}.parquet"

    # -- manifest -------------------------------------------------------------------
    def entries(self) -> dict[int, ChunkInfo]:
        """Manifest entries by chunk index (the last line wins for a re-written index).

        A truncated last line (a kill during the append) is ignored: that chunk is not
        finished as far as readers are concerned.
        """
        out: dict[int, ChunkInfo] = {}
        if not self.manifest_path.exists():
            return out
        lines = self.manifest_path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                info = ChunkInfo(**json.loads(line))
            except (json.JSONDecodeError, TypeError) as err:
                if number == len(lines):  # interrupted append
                    break
                raise SampleError(
                    f"{self.manifest_path}, line {number}: unreadable manifest entry ({err}); "
                    "the sample is damaged -- regenerate it or remove that line and run with --resume"
                ) from err
            out[info.index] = info
        return out

    def finished(self, *, verify: bool = False) -> dict[int, ChunkInfo]:
        """Entries whose chunk file exists with the recorded size (and checksum if verify)."""
        good = {}
        for index, info in self.entries().items():
            path = self.root / info.file
            if not path.exists() or path.stat().st_size != info.bytes:
                continue
            if verify and sha256_of(path.read_bytes()) != info.sha256:
                continue
            good[index] = info
        return good

    def check(self, info: ChunkInfo, *, verify: bool = False) -> Path:
        """Path of a finished chunk, or CorruptChunkError saying what to do."""
        path = self.root / info.file
        if not path.exists():
            raise CorruptChunkError(
                f"chunk {info.index} is listed in {self.manifest_path} but {path} is missing; "
                "run the same `mlhad generate ... --resume` command to regenerate it"
            )
        size = path.stat().st_size
        if size != info.bytes or (verify and sha256_of(path.read_bytes()) != info.sha256):
            raise CorruptChunkError(
                f"chunk file {path} is corrupted ({size} bytes, manifest says {info.bytes}"
                f"{'' if not verify else ' or checksum differs'}); delete it and run the same "
                "`mlhad generate ... --resume` command to regenerate it"
            )
        return path

    def _repair_manifest_tail(self) -> None:
        """Drop a partial last line left by a kill during an append."""
        path = self.manifest_path
        if not path.exists() or path.stat().st_size == 0:
            return
        data = path.read_bytes()
        if data.endswith(b"\n"):
            return
        keep = data[: data.rfind(b"\n") + 1]
        atomic_write_bytes(path, keep)

    def write_chunk(self, index: int, data: bytes, *, n_events: int, first_event: int, seed: int,
                    stats: dict[str, Any]) -> ChunkInfo:
        """Store one finished chunk atomically and record it in the manifest."""
        path = self.chunk_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
        info = ChunkInfo(
            index=index, file=str(path.relative_to(self.root)), n_events=n_events,
            first_event=first_event, bytes=len(data), sha256=sha256_of(data), seed=seed, stats=stats,
        )
        self._repair_manifest_tail()
        with open(self.manifest_path, "a", encoding="utf-8") as fh:
            fh.write(info.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return info
