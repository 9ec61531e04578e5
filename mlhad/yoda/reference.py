"""Find the reference data shipped in ``mlhad.rivet_data`` by analysis name.

The files are listed in ``rivet_data/manifest.json`` with their checksum, size, object
count and provenance; newer Rivet analysis names (``ALEPH_1996_I428072``) are accepted
as aliases of the names the files carry (``ALEPH_1996_S3486095``).
"""

from __future__ import annotations

import difflib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from mlhad.exceptions import RegistryError
from mlhad.yoda._base import YodaObject

__all__ = ["reference_path", "reference_names", "read_reference", "load_manifest"]

_PACKAGE = "mlhad.rivet_data"


def load_manifest() -> dict[str, Any]:
    """The parsed ``rivet_data/manifest.json``."""
    text = resources.files(_PACKAGE).joinpath("manifest.json").read_text(encoding="utf-8")
    return json.loads(text)


def reference_names() -> list[str]:
    """Analysis names of the shipped reference files (aliases not included)."""
    return [entry["analysis"] for entry in load_manifest()["files"]]


def reference_path(name: str) -> Path:
    """Path of the shipped reference file of an analysis.

    Args:
        name: Rivet analysis name, old (``ALEPH_1996_S3486095``) or new
            (``ALEPH_1996_I428072``) style; a trailing ``.yoda`` is ignored.

    Returns:
        Path of the YODA file inside the installed package.

    Raises:
        RegistryError: No shipped file for ``name`` (the message lists the known ones).

    Example:
        >>> reference_path("ALEPH_1996_I428072").name
        'ALEPH_1996_S3486095.yoda'
    """
    key = name.removesuffix(".gz").removesuffix(".yoda")
    entries = load_manifest()["files"]
    for entry in entries:
        if key == entry["analysis"] or key in entry.get("aliases", []):
            path = Path(str(resources.files(_PACKAGE).joinpath(entry["file"])))
            if not path.is_file():
                raise RegistryError(f"reference file {entry['file']} is listed in the manifest but missing at {path}")
            return path
    known = [e["analysis"] for e in entries] + [a for e in entries for a in e.get("aliases", [])]
    close = difflib.get_close_matches(key, known, n=2)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise RegistryError(f"no shipped reference data for {name!r}; available: {', '.join(known)}.{hint}")


def read_reference(name: str) -> dict[str, YodaObject]:
    """Read the shipped reference file of an analysis (see :func:`reference_path`)."""
    from mlhad.yoda.reader import read_yoda

    return read_yoda(reference_path(name))
