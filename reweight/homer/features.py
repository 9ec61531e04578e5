"""Step-1 inputs: one fixed-size feature vector per event.

Two kinds (:class:`~mlhad.reweight.homer.config.ClassifierConfig.features`):

* ``"observables"``: named event-level observables, the HOMER papers' "unbinned
  high-level observables" (arXiv 2410.06342 Sec. 4, 2509.03592 Sec. 2). A name is
  ``observable[:selection]`` with ``selection`` ``charged`` (default, the LEP analyses'
  choice) or ``final``, and ``observable`` either an event-level name of
  :mod:`mlhad.observables` (``thrust``, ``c_parameter``, ``multiplicity``, ...) or one
  of the moments of ``xi = |ln x_p|`` (``x_p = |p| / p_beam``) over the selected
  particles: ``xi_mean``, ``xi_var`` (second central moment), ``xi_m3`` (third).
* ``"encoder"``: the event embedding of :func:`mlhad.encoder.embed` (the "full particle
  cloud" input of the paper, through a pretrained encoder).

Values are float64; undefined values (an event shape of an event with fewer than two
charged particles, a moment of an empty set) are NaN and handled by the classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import awkward as ak
import numpy as np

from mlhad.exceptions import ConfigError, ModelError, OptionalDependencyError, RegistryError
from mlhad.io import Sample
from mlhad.progress import progress_bar

__all__ = ["MOMENTS", "parse_feature", "event_features", "sample_features", "encoder_features", "beam_energy_of"]

#: Moments of xi = |ln x_p| over the selected particles.
MOMENTS = ("xi_mean", "xi_var", "xi_m3")
_SELECTIONS = ("charged", "final")


def parse_feature(name: str) -> tuple[str, str]:
    """``"multiplicity:final"`` -> ``("multiplicity", "final")``; the selection defaults to charged.

    Raises:
        RegistryError: unknown observable, not an event-level one, or unknown selection.
    """
    from mlhad.observables import OBSERVABLES

    observable, _, selection = name.partition(":")
    selection = selection or "charged"
    if selection not in _SELECTIONS:
        raise RegistryError(f"feature {name!r}: selection {selection!r} is not one of {_SELECTIONS}")
    if observable in MOMENTS:
        return observable, selection
    if observable not in OBSERVABLES:
        raise RegistryError(
            f"feature {name!r}: {observable!r} is not an observable of mlhad.observables nor one of {MOMENTS}; "
            "see mlhad.observables.available('event')"
        )
    if OBSERVABLES[observable].kind != "event":
        raise RegistryError(
            f"feature {name!r}: {observable!r} is per {OBSERVABLES[observable].kind}, HOMER's step 1 needs one value "
            f"per event (use an event-level observable or a moment {MOMENTS})"
        )
    return observable, selection


def _moments(xi: ak.Array) -> dict[str, np.ndarray]:
    n = ak.to_numpy(ak.num(xi, axis=1)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = ak.to_numpy(ak.sum(xi, axis=1)) / n
        centred = xi - ak.Array(mean)  # one mean per event, broadcast into its particles
        var = ak.to_numpy(ak.sum(centred**2, axis=1)) / n
        m3 = ak.to_numpy(ak.sum(centred**3, axis=1)) / n
    return {"xi_mean": mean, "xi_var": var, "xi_m3": m3}


def event_features(particles: ak.Array, names: Sequence[str], *, beam_energy: float) -> np.ndarray:
    """Feature matrix of some events.

    Args:
        particles: ragged particles of the events (``events.particles``; see
            docs/sample_format.md).
        names: feature names (see the module docstring).
        beam_energy: p_beam = sqrt(s) / 2 in GeV (45.6 at LEP1).

    Returns:
        (n_events, len(names)) float64 array, NaN where undefined.
    """
    from mlhad.observables import compute

    parsed = [parse_feature(n) for n in names]
    out = np.empty((len(particles), len(parsed)))
    for selection in _SELECTIONS:
        wanted = [obs for obs, sel in parsed if sel == selection]
        if not wanted:
            continue
        plain = sorted({obs for obs in wanted if obs not in MOMENTS})
        need_xi = any(obs in MOMENTS for obs in wanted)
        values = compute(particles, plain + (["xi_p"] if need_xi else []), beam_energy=beam_energy,
                         selection=selection)
        moments = _moments(values["xi_p"]) if need_xi else {}
        for j, (obs, sel) in enumerate(parsed):
            if sel == selection:
                column = moments[obs] if obs in MOMENTS else values[obs]
                out[:, j] = np.asarray(column, dtype=np.float64)
    return out


def beam_energy_of(sample: Sample) -> float:
    """p_beam = E / 2 of a sample (sqrt(s) for e+e- presets, the string energy for ``string``)."""
    from .checks import sample_energy

    return sample_energy(sample)[1] / 2.0


def _chunk_rows(sample: Sample, events: np.ndarray | None, max_events: int | None):
    """Yield (chunk index, local rows or None for all, rows to keep) covering the wanted events."""
    start = 0
    total = sample.n_events if max_events is None else min(max_events, sample.n_events)
    for info in sample.chunks:
        if start >= total:
            break
        stop = min(start + info.n_events, total)
        if events is None:
            yield info.index, np.arange(stop - start)
        else:
            lo, hi = np.searchsorted(events, [start, stop])
            if hi > lo:
                yield info.index, events[lo:hi] - start
        start += info.n_events


def sample_features(sample: Sample, names: Sequence[str], *, max_events: int | None = None,
                    events: np.ndarray | None = None, progress: bool = True) -> np.ndarray:
    """:func:`event_features` of a sample, chunk by chunk (bounded memory).

    Args:
        sample: an mlhad sample (histories not needed).
        names: feature names.
        max_events: only the first events (in chunk order).
        events: only these (sorted, global) event indices.
        progress: show a progress bar (also silenced by MLHAD_NO_PROGRESS=1).

    Returns:
        (n_events, len(names)) float64, rows in event order.
    """
    for name in names:
        parse_feature(name)
    beam = beam_energy_of(sample)
    if events is not None:
        events = np.asarray(events, dtype=np.int64)
        if np.any(np.diff(events) <= 0):
            raise ConfigError("sample_features: events must be sorted and unique")
    total = (sample.n_events if max_events is None else min(max_events, sample.n_events)) if events is None \
        else events.size
    blocks: list[np.ndarray] = []
    bar = progress_bar(total=total, desc=f"observables {sample.path.name}", unit="ev", disable=not progress)
    try:
        for chunk, rows in _chunk_rows(sample, events, max_events):
            particles = sample.read(["particles"], chunks=[chunk]).particles[rows]
            blocks.append(event_features(particles, names, beam_energy=beam))
            bar.update(len(rows))
    finally:
        bar.close()
    return np.concatenate(blocks) if blocks else np.zeros((0, len(names)))


def encoder_features(sample: Sample, *, model: Any = None, checkpoint: str | None = None,
                     max_events: int | None = None, progress: bool = True) -> np.ndarray:
    """Event embeddings of :func:`mlhad.encoder.embed` as step-1 inputs.

    Args:
        sample: an mlhad sample.
        model: an encoder (``mlhad.encoder.PETEncoder``) to use as it is.
        checkpoint: else a checkpoint name or path for :func:`mlhad.encoder.load`
            (None: the encoder's default).
        max_events: stop after this many events.
        progress: progress bar.

    Returns:
        (n_events, d_event) float64.

    Raises:
        OptionalDependencyError: mlhad.encoder is not available in this installation.
        ModelError: the checkpoint cannot be loaded (the encoder's own message, with a hint).
    """
    try:
        from mlhad.encoder import embed, load
    except ImportError as err:
        raise OptionalDependencyError(
            f"features='encoder' needs mlhad.encoder, which cannot be imported here ({err}); "
            "use features='observables' or install the encoder"
        ) from err
    if model is None:
        try:
            model = load(checkpoint)
        except ModelError as err:
            raise ModelError(
                f"cannot load the encoder checkpoint {checkpoint or 'default'!r} for HOMER step 1: {err}. "
                "Pass ClassifierConfig(encoder_checkpoint=PATH) with a trained encoder, or use features='observables'"
            ) from err
    total = sample.n_events if max_events is None else min(max_events, sample.n_events)
    blocks = []
    done = 0
    for info in sample.chunks:
        if done >= total:
            break
        events = sample.read(["particles"], chunks=[info.index])[: total - done]
        blocks.append(np.asarray(embed(events, model=model, progress=progress), dtype=np.float64))
        done += len(events)
    if not blocks:
        raise ConfigError(f"{sample.path}: no events to embed")
    return np.concatenate(blocks)
