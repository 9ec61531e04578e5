"""Generate one chunk of events with Pythia: the unit of work of local and Dask workers.

A chunk is fully determined by (config, chunk index): Pythia is initialised afresh with
the chunk's own seed, so the output does not depend on which worker ran it, in which
order, or how many workers there were.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np

from mlhad.config import PYTHIA_SEED_MAX, GeneratorConfig
from mlhad.exceptions import ConfigError, GenerationError
from mlhad.io.sample import array_to_parquet_bytes

from .events import particles_from_record, primary_quark, record_from_batch, record_from_event
from .histories import assemble_histories, pt_statistics
from mlhad.native.recorder import attach_recorder
from .presets import get_preset
from .pythia_session import apply_settings, init_pythia, new_pythia

__all__ = ["ChunkTask", "chunk_seed", "chunk_tasks", "configure_pythia", "generate_chunk", "run_chunk",
           "PT_VARIATION_FACTORS"]

#: In-situ StringPT:sigma variations (relative to the base sigma) whose weights give each
#: event's pT-draw statistics; see histories.pt_statistics.
PT_VARIATION_FACTORS = (0.9, 1.1)
_PT_GROUPS = ("mlhad_pt_lo", "mlhad_pt_hi")


@dataclass(frozen=True)
class ChunkTask:
    config: GeneratorConfig
    index: int
    first_event: int
    n_events: int
    seed: int


def chunk_seed(master: int, index: int) -> int:
    """Pythia seed of chunk ``index``: a hash of (master seed, index) in [1, 9e8]."""
    state = np.random.SeedSequence([int(master), int(index)]).generate_state(2, dtype=np.uint64)
    return int(state[0] % np.uint64(PYTHIA_SEED_MAX)) + 1


def chunk_tasks(config: GeneratorConfig) -> list[ChunkTask]:
    return [
        ChunkTask(config, i, i * config.chunk_size, config.chunk_events(i), chunk_seed(config.seed, i))
        for i in range(config.n_chunks)
    ]


def _variation_groups(config: GeneratorConfig, sigma: float) -> tuple[list[str], tuple[float, float] | None]:
    groups = list(config.variations)
    for g in groups:
        if g.split()[0].startswith("mlhad_"):
            raise ConfigError(f"variation names starting with 'mlhad_' are reserved, got {g.split()[0]!r}")
    pt = None
    if config.history and sigma > 0:
        pt = (sigma * PT_VARIATION_FACTORS[0], sigma * PT_VARIATION_FACTORS[1])
        groups += [f"{name} frag:ptSigma={value!r}" for name, value in zip(_PT_GROUPS, pt)]
    return groups, pt


def configure_pythia(config: GeneratorConfig, seed: int) -> tuple[Any, Any, dict[str, Any]]:
    """A Pythia instance with preset, user settings, seed, variations and the history hook.

    Returns:
        ``(pythia, recorder_or_None, info)`` where info holds the applied settings, the
        pT-variation sigmas and the in-situ weight names.
    """
    preset = get_preset(config.preset)
    pythia = new_pythia()
    applied = preset.pythia_settings(config.energy)
    apply_settings(pythia, applied, origin=f"preset {preset.name}")
    apply_settings(pythia, config.settings, origin="--set/settings")
    applied = applied + list(config.settings)
    seeds = ["Random:setSeed = on", f"Random:seed = {seed}"]
    apply_settings(pythia, seeds, origin="seed")
    sigma = float(pythia.settings.parm("StringPT:sigma"))
    groups, pt = _variation_groups(config, sigma)
    if groups:
        text = "VariationFrag:List = {" + ", ".join(groups) + "}"
        apply_settings(pythia, [text], origin="variations")
        applied.append(text)
    recorder = None
    if config.history:
        recorder = attach_recorder(pythia, backend=config.history_backend, detail=config.history_detail)
    init_pythia(pythia)
    if recorder is not None:
        recorder.bind()
    info = pythia.infoPython()
    names = [info.weightNameByIndex(i) for i in range(info.numberOfWeights())]
    return pythia, recorder, {"settings": applied, "pt_sigmas": pt, "weight_names": names,
                              "history_backend": None if recorder is None else recorder.backend,
                          "groups": [g.split()[0] for g in groups]}


def _string_event_rows(pythia: Any, energy: float, ends: tuple[int, int]) -> list[tuple]:
    event = pythia.event
    event.reset()
    pdt = pythia.particleData
    for sign, pid, col in ((1.0, ends[0], (101, 0)), (-1.0, ends[1], (0, 101))):
        m = pdt.m0(pid)
        e = 0.5 * energy
        pz = sign * np.sqrt(max(e * e - m * m, 0.0))
        event.append(pid, 23, col[0], col[1], 0.0, 0.0, pz, e, m)
    if not pythia.next():
        return []
    return [(p.id(), p.status(), p.mother1(), p.px(), p.py(), p.pz(), p.e(), p.m()) for p in pythia.event]


def generate_chunk(task: ChunkTask) -> tuple[ak.Array, dict[str, Any]]:
    """Generate the events of one chunk as an awkward array of event records."""
    config = task.config
    preset = get_preset(config.preset)
    pythia, recorder, info = configure_pythia(config, task.seed)
    index = {name: i for i, name in enumerate(info["weight_names"])}
    t0 = time.perf_counter()
    n_failed = 0
    if preset.kind == "ee":
        try:
            batch = pythia.nextBatch(task.n_events, 10.0)
        except Exception as err:  # Pythia throws after 10x n failed attempts
            raise GenerationError(f"chunk {task.index}: Pythia could not generate events: {err}") from err
        record = record_from_batch(batch)
        weights = np.asarray(ak.to_numpy(batch.info.weights), dtype=np.float64).reshape(task.n_events, -1)
    else:
        energy = config.energy if config.energy is not None else preset.default_energy
        rows, wrows = [], []
        while len(rows) < task.n_events:
            ev = _string_event_rows(pythia, energy, preset.string_ends)
            if not ev:
                n_failed += 1
                if n_failed > 10 * task.n_events:
                    raise GenerationError(f"chunk {task.index}: too many failed string events")
                continue
            rows.append(ev)
            pinfo = pythia.infoPython()
            wrows.append([pinfo.weightValueByIndex(i) for i in range(len(index))])
        record = record_from_event(rows)
        weights = np.asarray(wrows, dtype=np.float64).reshape(task.n_events, -1)
    seconds = time.perf_counter() - t0

    pdt = pythia.particleData
    columns: dict[str, Any] = {
        "event": ak.Array(np.arange(task.first_event, task.first_event + task.n_events, dtype=np.int64)),
        "quark": ak.Array(primary_quark(record) if preset.kind == "ee"
                          else np.full(task.n_events, abs(preset.string_ends[0]), dtype=np.int8)),
        "particles": particles_from_record(record, lambda pid: int(round(pdt.charge(pid)))),
    }
    stats: dict[str, Any] = {"seconds": seconds, "n_failed": n_failed}
    if recorder is not None:
        history = assemble_histories(recorder.take(), record, detail=config.history_detail)
        columns.update(history)
        breaks, strings = history["breaks"], history["strings"]
        stats["history_backend"] = recorder.backend
        if info["pt_sigmas"] is not None:
            sigma0 = float(pythia.settings.parm("StringPT:sigma"))
            lo, hi = (weights[:, index[name]] for name in _PT_GROUPS)
            n, s = pt_statistics(lo, hi, sigma0, *info["pt_sigmas"])
            columns["pt_n"] = ak.Array(n)
            columns["pt_s"] = ak.Array(s)
        stats["n_breaks"] = int(ak.sum(ak.num(breaks)))
        stats["n_strings"] = int(ak.sum(ak.num(strings)))
    user = [g for g in info["groups"] if not g.startswith("mlhad_")]
    if user:
        columns["variation"] = ak.zip({g: ak.Array(np.ascontiguousarray(weights[:, index[g]])) for g in user})
    particles = columns["particles"]
    n_charged = ak.sum((particles.status == 1) & (particles.charge != 0), axis=1)
    stats["n_charged_sum"] = int(ak.sum(n_charged))
    return ak.zip(columns, depth_limit=1), stats


def run_chunk(task: ChunkTask) -> tuple[bytes, dict[str, Any]]:
    """Worker entry point: generate a chunk and return it as Parquet bytes plus stats."""
    array, stats = generate_chunk(task)
    return array_to_parquet_bytes(array), stats
