"""Break tables: the recorded string breaks of a sample as flat tensors.

Works on anything with a ``breaks`` column of our sample format: a Pythia sample read
with ``open_sample(path).read(["breaks"])`` or the events returned by
:func:`mlhad.generators.string_sampler.fragment`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import torch

from mlhad.exceptions import MissingColumnError, ModelError

__all__ = ["break_table", "read_events", "BREAK_COLUMNS"]

#: Break fields a table carries (``chain`` is added: the event index of each break).
BREAK_COLUMNS = ("z", "mT2", "px_new", "py_new", "from_pos", "rank", "accepted")


def read_events(source: Any, columns: tuple[str, ...] = ("breaks", "particles")) -> ak.Array:
    """Events from a sample directory (path) or an awkward Array (returned as is)."""
    if isinstance(source, (str, Path)):
        from mlhad.io import open_sample

        sample = open_sample(source)
        return sample.read(list(columns))
    if isinstance(source, ak.Array):
        return source
    raise ModelError(
        f"expected a sample directory or an awkward Array of events, got {type(source).__name__}"
    )


def break_table(events: ak.Array, which: str = "all") -> dict[str, torch.Tensor]:
    """Flatten the ``breaks`` of events into (n,) tensors.

    Args:
        events: awkward Array with a ``breaks`` column (sample format).
        which: ``"all"`` (every z draw) or ``"accepted"`` (kept attempts only).

    Returns:
        Dict of (n,) tensors: ``z``, ``mT2``, ``px_new``, ``py_new`` (float64),
        ``from_pos``, ``accepted`` (bool), ``rank`` and ``chain`` (int64: index of the
        event in ``events``).

    Raises:
        MissingColumnError: if the events carry no fragmentation history.
        ModelError: for an unknown ``which`` or an empty selection.
    """
    if which not in ("all", "accepted"):
        raise ModelError(f"which must be 'all' or 'accepted', got {which!r}")
    fields = ak.fields(events)
    if "breaks" not in fields:
        raise MissingColumnError(
            f"the events have no 'breaks' column (fields: {fields}); generate the sample with "
            "histories (the default; do not pass --no-history)"
        )
    brk = events["breaks"]
    missing = [c for c in BREAK_COLUMNS if c not in ak.fields(brk)]
    if missing:
        raise MissingColumnError(f"the breaks lack the fields {missing}; found {ak.fields(brk)}")
    counts = ak.to_numpy(ak.num(brk))
    chain = np.repeat(np.arange(len(counts)), counts)
    out = {c: ak.to_numpy(ak.flatten(brk[c])) for c in BREAK_COLUMNS}
    out["chain"] = chain
    if which == "accepted":
        keep = out["accepted"].astype(bool)
        out = {k: v[keep] for k, v in out.items()}
    if len(out["z"]) == 0:
        raise ModelError(f"no {which} breaks in the {len(counts)} events given")
    table = {
        "z": torch.as_tensor(out["z"], dtype=torch.float64),
        "mT2": torch.as_tensor(out["mT2"], dtype=torch.float64),
        "px_new": torch.as_tensor(out["px_new"], dtype=torch.float64),
        "py_new": torch.as_tensor(out["py_new"], dtype=torch.float64),
        "from_pos": torch.as_tensor(out["from_pos"].astype(bool)),
        "accepted": torch.as_tensor(out["accepted"].astype(bool)),
        "rank": torch.as_tensor(out["rank"].astype(np.int64)),
        "chain": torch.as_tensor(out["chain"].astype(np.int64)),
    }
    return table
