"""Read an mlhad sample: metadata, selected columns, chunk by chunk, extra column sets.

Reading asks Parquet for the requested columns only (``particles.px`` reads that leaf
and the list offsets, nothing else), so memory scales with the columns asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pyarrow.parquet as pq

from mlhad.exceptions import CorruptChunkError, MissingColumnError, SampleError, SampleNotFoundError

from .chunks import ChunkInfo, ChunkStore, atomic_write_bytes, atomic_write_text, sha256_of

__all__ = ["Sample", "open_sample", "array_to_parquet_bytes"]

FORMAT_VERSION = 1


def array_to_parquet_bytes(array: ak.Array) -> bytes:
    """Serialise an awkward array of event records as Parquet (zstd) bytes."""
    import io

    table = ak.to_arrow_table(array, extensionarray=False)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=max(1, len(array)))
    return sink.getvalue()


def open_sample(path: str | Path) -> "Sample":
    """Open the sample directory at ``path`` (see docs/sample_format.md)."""
    return Sample(path)


class Sample:
    """A generated event sample on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.store = ChunkStore(self.path)
        if not self.store.metadata_path.exists():
            raise SampleNotFoundError(
                f"no mlhad sample at {self.path} (missing {self.store.metadata_path.name}); "
                "create one with `mlhad generate --out PATH`"
            )

    def __repr__(self) -> str:
        return f"Sample({str(self.path)!r}, n_events={self.n_events}, chunks={len(self.chunks)})"

    # -- metadata -----------------------------------------------------------------------
    @cached_property
    def metadata(self) -> dict[str, Any]:
        try:
            return json.loads(self.store.metadata_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SampleError(f"{self.store.metadata_path}: not valid JSON ({err})") from err

    @property
    def chunks(self) -> list[ChunkInfo]:
        """Finished chunks in index order."""
        entries = self.store.entries()
        return [entries[i] for i in sorted(entries)]

    @property
    def n_events(self) -> int:
        return sum(c.n_events for c in self.chunks)

    @property
    def is_complete(self) -> bool:
        return self.n_events == int(self.metadata["config"]["n_events"])

    @property
    def has_history(self) -> bool:
        return bool(self.metadata["config"].get("history", False))

    @cached_property
    def fields(self) -> list[str]:
        """Column paths available (dotted for nested fields), read from the first chunk."""
        if not self.chunks:
            return []
        schema = pq.read_schema(self._paths()[0])
        out: list[str] = []

        def walk(t, prefix):
            import pyarrow as pa

            if pa.types.is_list(t) or pa.types.is_large_list(t):
                walk(t.value_type, prefix)
            elif pa.types.is_struct(t):
                for f in t:
                    walk(f.type, f"{prefix}.{f.name}" if prefix else f.name)
            else:
                out.append(prefix)

        for field in schema:
            walk(field.type, field.name)
        return out

    # -- reading --------------------------------------------------------------------------
    def _paths(self, chunks: Sequence[int] | None = None, *, verify: bool = False) -> list[Path]:
        infos = self.chunks
        if chunks is not None:
            by_index = {c.index: c for c in infos}
            missing = [i for i in chunks if i not in by_index]
            if missing:
                raise SampleError(f"{self.path}: chunks {missing} are not finished/present")
            infos = [by_index[i] for i in chunks]
        return [self.store.check(info, verify=verify) for info in infos]

    def _check_columns(self, columns: Sequence[str] | None) -> None:
        if columns is None:
            return
        available = set(self.fields)
        for col in columns:
            if col in available or any(f.startswith(col + ".") for f in available):
                continue
            hint = ""
            if col.split(".")[0] in ("breaks", "strings", "pt_n", "pt_s") and not self.has_history:
                hint = " (this sample was generated without fragmentation histories: use --history)"
            raise MissingColumnError(
                f"column {col!r} is not in the sample at {self.path}{hint}; available: "
                f"{', '.join(sorted({f.split('.')[0] for f in available}))}"
            )

    def read(self, columns: Sequence[str] | None = None, *, chunks: Sequence[int] | None = None,
             verify: bool = False) -> ak.Array:
        """Read events (all, or some chunks) with only the requested columns.

        Args:
            columns: dotted column paths such as ``"particles.px"`` or whole columns such as
                ``"breaks"``; None reads everything.
            chunks: chunk indices to read (default: all finished chunks, in order).
            verify: also check each chunk's SHA-256 against the manifest.
        """
        self._check_columns(columns)
        paths = self._paths(chunks, verify=verify)
        if not paths:
            raise SampleError(f"{self.path}: the sample has no finished chunks yet")
        try:
            return ak.from_parquet([str(p) for p in paths], columns=list(columns) if columns else None)
        except (OSError, ValueError) as err:
            raise CorruptChunkError(
                f"cannot read chunks of {self.path}: {err}; run `mlhad generate ... --resume` "
                "after deleting the damaged chunk file"
            ) from err

    def iter_batches(self, columns: Sequence[str] | None = None) -> Iterator[ak.Array]:
        """Yield the sample chunk by chunk (bounded memory)."""
        for info in self.chunks:
            yield self.read(columns, chunks=[info.index])

    # -- extra column sets (e.g. weights), aligned with the chunks ----------------------------
    def column_set_dir(self, name: str) -> Path:
        return self.path / "columns" / name

    def column_sets(self) -> list[str]:
        root = self.path / "columns"
        if not root.exists():
            return []
        return sorted(p.name for p in root.iterdir() if (p / "manifest.json").exists())

    def write_column_set(self, name: str, per_chunk: Sequence[ak.Array], *, metadata: dict | None = None,
                         overwrite: bool = False) -> Path:
        """Store extra per-event columns beside the sample, one file per chunk.

        The set becomes visible only when its ``manifest.json`` is written, after every
        chunk file: an interrupted write leaves no partial set behind.
        """
        if not name.isidentifier():
            raise SampleError(f"column-set name must be an identifier, got {name!r}")
        infos = self.chunks
        if len(per_chunk) != len(infos):
            raise SampleError(f"column set {name!r}: {len(per_chunk)} arrays for {len(infos)} chunks")
        root = self.column_set_dir(name)
        if (root / "manifest.json").exists() and not overwrite:
            raise SampleError(f"column set {name!r} already exists in {self.path}; pass overwrite=True")
        root.mkdir(parents=True, exist_ok=True)
        (root / "manifest.json").unlink(missing_ok=True)
        entries = []
        for info, arr in zip(infos, per_chunk):
            if len(arr) != info.n_events:
                raise SampleError(
                    f"column set {name!r}, chunk {info.index}: {len(arr)} rows for {info.n_events} events"
                )
            data = array_to_parquet_bytes(arr)
            target = root / f"chunk-{info.index:05d}.parquet"
            atomic_write_bytes(target, data)
            entries.append({"index": info.index, "file": target.name, "bytes": len(data),
                            "sha256": sha256_of(data), "n_events": info.n_events})
        atomic_write_text(root / "manifest.json",
                          json.dumps({"chunks": entries, "metadata": metadata or {}}, indent=1))
        return root

    def read_column_set(self, name: str, columns: Sequence[str] | None = None) -> ak.Array:
        root = self.column_set_dir(name)
        manifest = root / "manifest.json"
        if not manifest.exists():
            raise MissingColumnError(
                f"no column set {name!r} in {self.path}; available: {self.column_sets() or 'none'}"
            )
        entries = json.loads(manifest.read_text())["chunks"]
        files = [str(root / e["file"]) for e in entries]
        return ak.from_parquet(files, columns=list(columns) if columns else None)

    def column_set_metadata(self, name: str) -> dict[str, Any]:
        manifest = self.column_set_dir(name) / "manifest.json"
        if not manifest.exists():
            raise MissingColumnError(f"no column set {name!r} in {self.path}")
        return json.loads(manifest.read_text())["metadata"]

    def file_size(self) -> int:
        """Bytes on disk of all finished chunks."""
        return int(np.sum([c.bytes for c in self.chunks])) if self.chunks else 0
