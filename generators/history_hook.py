"""A Pythia UserHooks that records every string break: the fragmentation history.

Pythia calls ``doVetoFragmentation(hadron, stringEnd)`` after each z draw of the string
model -- in the attempt that is finally kept and in attempts that are thrown away and
restarted -- and ``doVetoFinalTwo`` once per string when the final two hadrons are
joined. We never veto; we only read.

Cost is what matters here (this runs ~30 times per LEP1 event). Measured on pythia8mc
8.317.2: the C++ -> Python dispatch of one hook call costs ~1.3 us, each attribute read
of a bound ``StringEnd`` ~0.25 us, and ``stringEnd.flavNew.id`` ~1.4 us (it copies a
FlavContainer). So the per-break record holds only seven scalar attributes, fetched in
one C-level ``operator.attrgetter`` call and appended to a list; flavours are derived
afterwards from the hadron ids (:mod:`mlhad.generators.flavours`), and attempts from
the per-end hadron counters. ``detail="full"`` additionally reads Pythia's flavours and
string-end state (slower; used to validate the derivation).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from .pythia_session import import_pythia

__all__ = ["BREAK_FIELDS", "FULL_BREAK_FIELDS", "STRING_FIELDS", "make_history_hook"]

#: Per-break attributes of Pythia's StringEnd, in record order (lean mode).
BREAK_FIELDS = ("zHad", "mT2Had", "pxNew", "pyNew", "fromPos", "idHad", "hadSoFar")
#: Extra string-end state read in full mode.
FULL_BREAK_FIELDS = ("GammaOld", "xPosOld", "xNegOld", "pxOld", "pyOld", "iEnd")
#: Per-string record (from the final-two hook).
STRING_FIELDS = (
    "n_records", "n_pos", "n_neg", "i_pos", "i_neg",
    "px_final", "py_final", "pid_pos", "pid_neg", "mT2_pos", "mT2_neg",
)


def make_history_hook(detail: str = "lean") -> Any:
    """Create the recording hook (a ``pythia8mc.UserHooks`` subclass instance).

    Args:
        detail: ``"lean"`` or ``"full"``.

    Returns:
        A hook with lists ``breaks``, ``strings``, ``starts`` (records of the current
        event; ``starts`` holds Pythia's flavour at each chain start, in time order) and
        ``events`` (finished events: ``(breaks, strings, starts)`` per successful event,
        in generation order); call ``take_events()`` to collect and clear them.
    """
    p8 = import_pythia()
    lean_get = attrgetter(*BREAK_FIELDS)
    full_get = attrgetter(*FULL_BREAK_FIELDS)

    class HistoryHook(p8.UserHooks):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.detail = detail
            self.breaks: list[tuple] = []
            self.strings: list[tuple] = []
            self.starts: list[int] = []
            self.events: list[tuple[list[tuple], list[tuple], list[int]]] = []
            self._append = self.breaks.append
            self._string_start = 0

        # -- event boundaries -------------------------------------------------------
        def _reset(self) -> None:
            self.breaks = []
            self.strings = []
            self.starts = []
            self._append = self.breaks.append
            self._string_start = 0

        def onBeginEvent(self) -> None:  # noqa: N802 (Pythia's name)
            self._reset()

        def canVetoPartonLevel(self) -> bool:  # noqa: N802
            return True

        def doVetoPartonLevel(self, event: Any) -> bool:  # noqa: N802
            # Called once per parton-level attempt, just before hadronization: a retried
            # event starts its history afresh.
            self._reset()
            return False

        def onEndEvent(self, status: Any) -> None:  # noqa: N802
            if int(status) == 0:  # PhysicsBase::COMPLETE
                self.events.append((self.breaks, self.strings, self.starts))
            self._reset()

        # -- the string breaks ------------------------------------------------------
        def canVetoFragmentation(self) -> bool:  # noqa: N802
            return True

        if detail == "full":

            def doVetoFragmentation(self, had: Any, end: Any = None, *rest: Any) -> bool:  # noqa: N802
                if rest:
                    return False
                self._append(
                    lean_get(end) + full_get(end) + (end.flavOld.id, end.flavNew.id)
                )
                return False

        else:

            def doVetoFragmentation(self, had: Any, end: Any = None, *rest: Any) -> bool:  # noqa: N802
                if rest:  # the (had1, had2, end1, end2) overload: handled in doVetoFinalTwo
                    return False
                record = lean_get(end)
                if record[6] == 0:  # hadSoFar == 0: first break of a chain
                    self.starts.append(end.flavOld.id)
                self._append(record)
                return False

        def doVetoFinalTwo(self, had_pos: Any, had_neg: Any, end_pos: Any, end_neg: Any) -> bool:  # noqa: N802
            n = len(self.breaks)
            self.strings.append(
                (
                    n - self._string_start,
                    end_pos.hadSoFar,
                    end_neg.hadSoFar,
                    had_pos.mother1(),
                    had_pos.mother2(),
                    end_pos.pxNew,
                    end_pos.pyNew,
                    had_pos.id(),
                    had_neg.id(),
                    end_pos.mT2Had,
                    end_neg.mT2Had,
                )
            )
            self._string_start = n
            return False

        def take_events(self) -> list[tuple[list[tuple], list[tuple], list[int]]]:
            events, self.events = self.events, []
            return events

    return HistoryHook()
