"""Find analyses and entries by name or path; list what a comparison must skip.

Paths may be given with or without ``/REF`` and the leading slash, and with an
analysis alias (``ALEPH_1996_I428072`` for ``ALEPH_1996_S3486095``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from mlhad.exceptions import RegistryError

from .aleph_1996 import ALEPH_1996
from .delphi_1996 import DELPHI_1996
from .entry import Analysis, Entry

__all__ = ["ANALYSES", "analysis", "lookup", "entries", "skipped", "skip_reason", "mc_path"]

#: Every analysis of the registry by its Rivet name.
ANALYSES: dict[str, Analysis] = {a.name: a for a in (ALEPH_1996, DELPHI_1996)}
_NAMES = {alias: a for a in ANALYSES.values() for alias in (a.name, *a.aliases)}
_ENTRIES = {e.path: e for a in ANALYSES.values() for e in a.entries}
_SKIPPED = {path[len("/REF"):]: reason for a in ANALYSES.values() for path, reason in a.skipped}


def _suggest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(close)}?" if close else ""


def analysis(name: str) -> Analysis:
    """The analysis called ``name`` (Rivet name or alias)."""
    try:
        return _NAMES[name]
    except KeyError:
        raise RegistryError(
            f"unknown analysis {name!r}.{_suggest(name, _NAMES)} Known: {sorted(ANALYSES)}"
        ) from None


def mc_path(path: str) -> str:
    """Canonical MC path ``/ANALYSIS/dNN-xNN-yNN`` of a reference or MC path (aliases resolved)."""
    text = path.strip()
    if text.startswith("/REF/"):
        text = text[len("/REF") :]
    parts = text.strip("/").split("/")
    if len(parts) != 2:
        raise RegistryError(
            f"{path!r} is not a histogram path; expected '/REF/ANALYSIS/dNN-xNN-yNN' or "
            "'/ANALYSIS/dNN-xNN-yNN'"
        )
    name = analysis(parts[0]).name
    return f"/{name}/{parts[1]}"


def lookup(analysis_or_path: str) -> Analysis | Entry:
    """The :class:`Analysis` of a name, or the :class:`Entry` of a histogram path.

    Raises:
        RegistryError: unknown analysis or path (with close names), or a reference
            object that has no MC counterpart (with the reason; see :func:`skipped`).
    """
    if "/" not in analysis_or_path.strip("/"):
        return analysis(analysis_or_path.strip("/"))
    path = mc_path(analysis_or_path)
    if path in _ENTRIES:
        return _ENTRIES[path]
    if path in _SKIPPED:
        raise RegistryError(
            f"{path} has no MC counterpart ({_SKIPPED[path]}); skip it in comparisons "
            "(mlhad.registry.skipped lists such objects)"
        )
    same = [p for p in _ENTRIES if p.split("/")[1] == path.split("/")[1]]
    raise RegistryError(f"no registry entry for {path}.{_suggest(path, same)}")


def entries(analysis_name: str) -> tuple[Entry, ...]:
    """All entries of an analysis, in table order."""
    return analysis(analysis_name).entries


def skip_reason(path: str) -> str | None:
    """Why a reference object has no MC counterpart, or None if it has an entry."""
    if "/_" in path or path.startswith("/RAW/"):
        return "bookkeeping object (/RAW/ or /_...), not an observable"
    canonical = mc_path(path)
    if canonical in _ENTRIES:
        return None
    return _SKIPPED.get(canonical, "unknown to the registry (not in Rivet's analysis as mlhad knows it)")


def skipped(analysis_name: str, ref_paths: Iterable[str]) -> list[str]:
    """The reference paths a comparison must skip: those without a registry entry.

    Args:
        analysis_name: the analysis the paths belong to.
        ref_paths: paths of the reference objects, e.g. the keys of ``read_yoda(file)``.

    Returns:
        The paths (as given) with no MC counterpart, in input order: documented skips
        (never filled by Rivet, see :attr:`Analysis.skipped`), bookkeeping objects and
        objects unknown to the registry. Use :func:`skip_reason` for the why.

    Raises:
        RegistryError: unknown analysis, or a path of another analysis.
    """
    name = analysis(analysis_name).name
    out = []
    for path in ref_paths:
        reason = skip_reason(path)
        if reason is None:
            continue
        if not reason.startswith("bookkeeping") and mc_path(path).split("/")[1] != name:
            raise RegistryError(f"{path!r} belongs to another analysis than {name}")
        out.append(path)
    return out
