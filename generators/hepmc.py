"""Export a sample to HepMC3 (ASCII), so that real Rivet can run on the same events.

Each event is written as: the two beams (status 4: e- along +z and e+ along -z for
``lep1``; the string's end quarks for ``string``), one vertex from the beams to the
primary particles, and one decay vertex per decayed particle (status 2) to its
products. Partons are not stored in mlhad samples and therefore not exported.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np

from mlhad.exceptions import OptionalDependencyError, SampleError
from mlhad.io import Sample
from mlhad.progress import progress_bar

__all__ = ["export_hepmc", "event_to_hepevt"]

_COLUMNS = [f"particles.{f}" for f in ("px", "py", "pz", "e", "m", "pid", "status", "parent")]


def _pyhepmc():
    try:
        import pyhepmc
    except ImportError as err:  # pragma: no cover - declared dependency
        raise OptionalDependencyError("HepMC export needs pyhepmc: pip install pyhepmc") from err
    return pyhepmc


def event_to_hepevt(particles: ak.Array, beams: tuple[tuple[int, float], tuple[int, float]]) -> dict[str, np.ndarray]:
    """HEPEVT-style arrays (0-based parent ranges) for one event's particles.

    Args:
        particles: one event's particle records.
        beams: ``((pid, pz), (pid, pz))`` of the two incoming beams (massless, on the z axis).
    """
    n = len(particles)
    parent = ak.to_numpy(particles.parent).astype(np.int64)
    (id_a, pz_a), (id_b, pz_b) = beams
    px = np.concatenate([[0.0, 0.0], ak.to_numpy(particles.px).astype(np.float64)])
    py = np.concatenate([[0.0, 0.0], ak.to_numpy(particles.py).astype(np.float64)])
    pz = np.concatenate([[pz_a, pz_b], ak.to_numpy(particles.pz).astype(np.float64)])
    en = np.concatenate([[abs(pz_a), abs(pz_b)], ak.to_numpy(particles.e).astype(np.float64)])
    m = np.concatenate([[0.0, 0.0], ak.to_numpy(particles.m).astype(np.float64)])
    pid = np.concatenate([[id_a, id_b], ak.to_numpy(particles.pid)]).astype(np.int32)
    status = np.concatenate([[4, 4], ak.to_numpy(particles.status)]).astype(np.int32)
    parents = np.full((n + 2, 2), -1, dtype=np.int64)
    primary = parent < 0
    parents[2:][primary] = (0, 1)
    parents[2:][~primary] = np.stack([parent[~primary] + 2, parent[~primary] + 2], axis=1)
    return dict(px=px, py=py, pz=pz, en=en, m=m, pid=pid, status=status, parents=parents)


def export_hepmc(sample: Sample, out: str | Path, *, max_events: int | None = None,
                 overwrite: bool = False, progress: bool = True) -> int:
    """Write the sample's events to a HepMC3 ASCII file.

    Returns:
        The number of events written.
    """
    pyhepmc = _pyhepmc()
    out = Path(out)
    if out.exists() and not overwrite:
        raise SampleError(f"{out} exists; pass --overwrite to replace it")
    config = sample.metadata["config"]
    energy = config.get("energy") or {"lep1": 91.2, "string": 50.0}.get(config["preset"], 91.2)
    if config["preset"] == "string":
        beams = ((2, 0.5 * energy), (-2, -0.5 * energy))
    else:
        beams = ((11, 0.5 * energy), (-11, -0.5 * energy))
    total = sample.n_events if max_events is None else min(max_events, sample.n_events)
    tmp = out.with_name(f".{out.name}.tmp")
    written = 0
    with pyhepmc.open(str(tmp), "w") as writer, progress_bar(total=total, unit="ev", desc="hepmc",
                                                            disable=not progress) as bar:
        for batch in sample.iter_batches(_COLUMNS + ["event"]):
            for event_number, particles in zip(ak.to_numpy(batch.event), batch.particles):
                if written >= total:
                    break
                evt = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
                evt.from_hepevt(int(event_number), fortran=False, **event_to_hepevt(particles, beams))
                writer.write(evt)
                written += 1
                bar.update(1)
            if written >= total:
                break
    tmp.replace(out)
    return written
