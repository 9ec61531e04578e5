"""A one-screen summary of a generated sample."""

from __future__ import annotations

from typing import Any

from mlhad.io import Sample

__all__ = ["sample_summary", "format_summary"]


def sample_summary(sample: Sample, *, seconds: float | None = None) -> dict[str, Any]:
    """Numbers a physicist checks first: size, speed, multiplicity, failures."""
    chunks = sample.chunks
    gen_seconds = sum(c.stats.get("seconds", 0.0) for c in chunks)
    n = sample.n_events
    n_ch = sum(c.stats.get("n_charged_sum", 0) for c in chunks)
    out: dict[str, Any] = {
        "path": str(sample.path),
        "preset": sample.metadata["config"]["preset"],
        "events": n,
        "requested": sample.metadata["config"]["n_events"],
        "chunks": len(chunks),
        "failed_events": sum(c.stats.get("n_failed", 0) for c in chunks),
        "mean_charged_multiplicity": n_ch / n if n else float("nan"),
        "file_bytes": sample.file_size(),
        "generation_seconds_cpu": gen_seconds,
        "events_per_second_per_worker": n / gen_seconds if gen_seconds else float("nan"),
        "history": sample.has_history,
    }
    if sample.has_history:
        nb = sum(c.stats.get("n_breaks", 0) for c in chunks)
        ns = sum(c.stats.get("n_strings", 0) for c in chunks)
        out["breaks_per_event"] = nb / n if n else float("nan")
        out["strings_per_event"] = ns / n if n else float("nan")
    if seconds is not None:
        out["wall_seconds"] = seconds
        out["events_per_second"] = n / seconds if seconds else float("nan")
    return out


def format_summary(summary: dict[str, Any]) -> str:
    size = summary["file_bytes"]
    lines = [
        f"sample            {summary['path']}  (preset {summary['preset']})",
        f"events            {summary['events']:,} of {summary['requested']:,} in {summary['chunks']} chunks"
        f"  ({summary['failed_events']} failed and regenerated)",
        f"<N_charged>       {summary['mean_charged_multiplicity']:.3f}",
        f"file size         {size / 1e6:.1f} MB  ({size / max(summary['events'], 1) / 1e3:.2f} kB/event)",
        f"speed             {summary['events_per_second_per_worker']:.0f} events/s per worker"
        + (f", {summary['events_per_second']:.0f} events/s wall" if "events_per_second" in summary else ""),
    ]
    if summary.get("history"):
        lines.append(
            f"histories         {summary['breaks_per_event']:.1f} string breaks/event"
            f" (incl. thrown-away attempts), {summary['strings_per_event']:.2f} strings/event"
        )
    return "\n".join(lines)
