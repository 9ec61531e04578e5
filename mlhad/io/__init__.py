"""The mlhad sample format: chunked Parquet files plus metadata (docs/sample_format.md)."""

from __future__ import annotations

from .chunks import ChunkInfo, ChunkStore
from .sample import Sample, array_to_parquet_bytes, open_sample

__all__ = ["Sample", "open_sample", "ChunkStore", "ChunkInfo", "array_to_parquet_bytes"]
