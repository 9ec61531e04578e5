"""Attach a fragmentation-history recorder to a Pythia instance and read it in bulk.

Two backends give the same records:

- ``native``: the compiled plugin (``history_recorder.cc``), loaded with Pythia's
  ``Init:plugins`` mechanism; a few microseconds per event.
- ``python``: a ``pythia8mc.UserHooks`` subclass (:mod:`mlhad.generators.history_hook`);
  no compiler needed, ~0.6 of Pythia's speed.

Both return :class:`RawHistories`: flat numpy arrays plus per-event counts.
"""

from __future__ import annotations

import ctypes
import os
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlhad.exceptions import GenerationError, OptionalDependencyError

__all__ = ["RawHistories", "attach_recorder", "BREAK_D", "BREAK_I", "STRING_D", "STRING_I"]

#: Field layouts of the native recorder (see history_recorder.cc).
BREAK_D = ("z", "mT2", "px_new", "py_new", "px_old", "py_old", "gamma_old", "x_pos_old", "x_neg_old")
BREAK_I = ("from_pos", "pid", "rank", "flav_old", "flav_new", "i_end")
STRING_D = ("px_final", "py_final", "mT2_pos", "mT2_neg", "px_had_pos", "py_had_pos", "px_had_neg", "py_had_neg")
STRING_I = ("n_records", "n_pos", "n_neg", "i_pos", "i_neg", "pid_pos", "pid_neg")
TRIAL_D = ("mT2_signed", "z", "f_prel")
TRIAL_I = ("id_old", "id_new")


@dataclass
class RawHistories:
    """Histories of a batch of events as flat arrays.

    Attributes:
        n_breaks, n_strings: (n_events,) record counts per event.
        breaks: per-break arrays (at least z, mT2, px_new, py_new, from_pos, pid, rank;
            flav_old/flav_new when the backend knows them).
        strings: per-string arrays (STRING_D + STRING_I names).
        chain_starts: Pythia's flavour at every rank-0 break, in time order (python
            backend, for the flavour derivation), else None.
        n_trials, trials: per z-sampler trial records (native backend with
            VariationFrag:z = on), else None.
    """

    n_breaks: np.ndarray
    n_strings: np.ndarray
    breaks: dict[str, np.ndarray]
    strings: dict[str, np.ndarray]
    chain_starts: np.ndarray | None = None
    n_trials: np.ndarray | None = None
    trials: dict[str, np.ndarray] | None = field(default=None)


class _NativeRecorder:
    backend = "native"

    def __init__(self, library: str, key: str) -> None:
        self.lib = ctypes.CDLL(library)
        self.lib.mlhad_history_find.restype = ctypes.c_void_p
        self.lib.mlhad_history_find.argtypes = [ctypes.c_char_p]
        self.key = key
        self.handle: int | None = None

    def bind(self) -> None:
        handle = self.lib.mlhad_history_find(self.key.encode())
        if not handle:
            raise GenerationError("the native history recorder did not register with Pythia (plugin not loaded?)")
        self.handle = handle

    def take(self) -> RawHistories:
        h = ctypes.c_void_p(self.handle)
        sizes = (ctypes.c_int64 * 4)()
        self.lib.mlhad_history_sizes(h, sizes)
        n_ev, n_b, n_s, n_t = (int(x) for x in sizes)
        nb, ns, nt = (np.zeros(n_ev, np.int64) for _ in range(3))
        bd, bi = np.zeros((n_b, len(BREAK_D))), np.zeros((n_b, len(BREAK_I)), np.int32)
        sd, si = np.zeros((n_s, len(STRING_D))), np.zeros((n_s, len(STRING_I)), np.int32)
        td, ti = np.zeros((n_t, len(TRIAL_D))), np.zeros((n_t, len(TRIAL_I)), np.int32)
        ptr = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
        self.lib.mlhad_history_take(h, ptr(nb), ptr(ns), ptr(nt), ptr(bd), ptr(bi), ptr(sd), ptr(si), ptr(td), ptr(ti))
        breaks = {name: np.ascontiguousarray(bd[:, i]) for i, name in enumerate(BREAK_D)}
        breaks.update({name: np.ascontiguousarray(bi[:, i]) for i, name in enumerate(BREAK_I)})
        strings = {name: np.ascontiguousarray(sd[:, i]) for i, name in enumerate(STRING_D)}
        strings.update({name: np.ascontiguousarray(si[:, i]) for i, name in enumerate(STRING_I)})
        trials = None
        if n_t:
            trials = {name: np.ascontiguousarray(td[:, i]) for i, name in enumerate(TRIAL_D)}
            trials.update({name: np.ascontiguousarray(ti[:, i]) for i, name in enumerate(TRIAL_I)})
        return RawHistories(nb, ns, breaks, strings, None, nt if n_t else None, trials)


class _PythonRecorder:
    backend = "python"

    def __init__(self, hook: Any, detail: str) -> None:
        self.hook = hook
        self.detail = detail

    def bind(self) -> None:
        pass

    def take(self) -> RawHistories:
        from mlhad.generators.history_hook import BREAK_FIELDS, FULL_BREAK_FIELDS, STRING_FIELDS

        events = self.hook.take_events()
        nb = np.array([len(e[0]) for e in events], dtype=np.int64)
        ns = np.array([len(e[1]) for e in events], dtype=np.int64)
        names = {"zHad": "z", "mT2Had": "mT2", "pxNew": "px_new", "pyNew": "py_new", "fromPos": "from_pos",
                 "idHad": "pid", "hadSoFar": "rank", "GammaOld": "gamma_old", "xPosOld": "x_pos_old",
                 "xNegOld": "x_neg_old", "pxOld": "px_old", "pyOld": "py_old", "iEnd": "i_end"}
        fields = list(BREAK_FIELDS) + (list(FULL_BREAK_FIELDS) + ["flavOld", "flavNew"] if self.detail == "full" else [])
        rows = [r for e in events for r in e[0]]
        b = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(fields))
        breaks = {names.get(f, {"flavOld": "flav_old", "flavNew": "flav_new"}.get(f, f)): np.ascontiguousarray(b[:, i])
                  for i, f in enumerate(fields)}
        srows = [r for e in events for r in e[1]]
        s = np.asarray(srows, dtype=np.float64).reshape(len(srows), len(STRING_FIELDS))
        strings = {f: np.ascontiguousarray(s[:, i]) for i, f in enumerate(STRING_FIELDS)}
        starts = np.fromiter((f for e in events for f in e[2]), dtype=np.int64) if self.detail != "full" else None
        return RawHistories(nb, ns, breaks, strings, starts)


def _native_library() -> str | None:
    from .build import build_library

    try:
        return str(build_library())
    except OptionalDependencyError as err:
        warnings.warn(
            f"the compiled history recorder is unavailable ({str(err).splitlines()[0]}); "
            "falling back to the Python hook (about 0.6 of Pythia's speed). "
            "Run `python -m mlhad.native.build` to see why.",
            RuntimeWarning, stacklevel=3,
        )
        return None


def attach_recorder(pythia: Any, *, backend: str = "auto", detail: str = "lean") -> Any:
    """Attach a history recorder to an uninitialised Pythia; call ``.bind()`` after init.

    Args:
        pythia: ``pythia8mc.Pythia`` before ``init()``.
        backend: ``"auto"`` (native if it can be built, else python), ``"native"`` or ``"python"``.
        detail: ``"lean"``, ``"full"`` or ``"trials"`` (native only: also Pythia's record
            of every accept/reject trial of the z sampler, via ``VariationFrag:z = on``).

    Returns:
        A recorder with ``bind()`` and ``take() -> RawHistories``.
    """
    from mlhad.generators.pythia_session import apply_settings

    if backend not in ("auto", "native", "python"):
        raise ValueError(f"history backend must be auto, native or python, got {backend!r}")
    library = None
    if backend in ("auto", "native"):
        if backend == "native":
            from .build import build_library

            library = str(build_library())
        else:
            library = _native_library()
    if library is None:
        if detail == "trials":
            raise OptionalDependencyError("history detail 'trials' needs the compiled recorder (python -m mlhad.native.build)")
        from mlhad.generators.history_hook import make_history_hook

        hook = make_history_hook("full" if detail == "full" else "lean")
        pythia.setUserHooksPtr(hook)
        return _PythonRecorder(hook, "full" if detail == "full" else "lean")
    key = f"{os.getpid()}-{uuid.uuid4().hex}"
    pythia.settings.registerPluginLibrary(library)
    settings = [f"MlhadHistory:key = {key}", "Init:plugins = {" + library + "::MlhadHistoryHooks}"]
    if detail == "trials":
        settings.append("VariationFrag:z = on")
    apply_settings(pythia, settings, origin="history recorder")
    return _NativeRecorder(library, key)
