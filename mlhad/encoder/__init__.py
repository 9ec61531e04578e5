"""A point-edge transformer encoder for e+e- events, pretrained on Pythia samples.

Stable public API (other modules, e.g. HOMER step 1 and the diagnosis classifier, rely on it):

* ``embed(source, *, model=None, axes=None, batch_size=256, progress=True, workers=None) -> np.ndarray``:
  ``(n_events, d_event)`` float32 event embeddings (``d_event = 64`` for the shipped
  checkpoint), row ``i`` for input event ``i``. ``source``: awkward events (or
  particles), an ``mlhad.io.Sample`` or a sample directory (read chunk by chunk).
  ``model=None`` uses the shipped checkpoint. Raises ``ModelError`` (naming the event)
  for an event without visible particles, non-finite momenta, missing fields, bad axes.
* ``load(path=None, *, config=None, strict=True, prefix=None, trust=False) -> PETEncoder``:
  the shipped checkpoint ``"pet-lep1-small"`` (offline, inside the package) by default,
  another shipped name, or a file (ours with its ``.json``, a plain state dict or a
  Lightning ``.ckpt`` with ``config=``). Eval mode, CPU. Raises
  ``CheckpointMismatchError`` listing missing/unexpected/mis-shaped keys when the
  weights belong to another architecture.

Also:

* ``embed_particles(events)`` -> per-particle embeddings (ragged).
* ``embed_features(flat)`` -> event embeddings of features already computed (``collect_features``).
* ``load_state_dict(model, file)`` -> copy external weights (shape-checked) into a model.
* ``pretrain(samples)`` -> a new encoder (masked-particle modelling + parameter regression);
  ``save(model, path)`` writes it.
* ``finetune(model, features, labels)`` -> encoder + classification head, trained end to end.
* ``collect_features(events)`` / ``particle_features(particles, axes)`` -> the padded inputs.

See docs/encoder.md for the design, the pretraining choice and measured probe results.
"""

from __future__ import annotations

from .checkpoint import DEFAULT_CHECKPOINT, LoadReport, available, load, load_state_dict, save
from .config import EncoderConfig
from .embed import embed, embed_features, embed_particles
from .features import (
    GLOBAL_FEATURES,
    PARTICLE_FEATURES,
    PARTICLE_FIELDS,
    global_features,
    particle_features,
    select_visible,
)
from .finetune import EventClassifier, finetune, predict
from .inputs import collect_features
from .model import EncoderOutput, PETEncoder
from .pretrain import PretrainConfig, PretrainResult, pretrain

__all__ = [
    "DEFAULT_CHECKPOINT",
    "EncoderConfig",
    "EncoderOutput",
    "EventClassifier",
    "GLOBAL_FEATURES",
    "LoadReport",
    "PARTICLE_FEATURES",
    "PARTICLE_FIELDS",
    "PETEncoder",
    "PretrainConfig",
    "PretrainResult",
    "available",
    "collect_features",
    "embed",
    "embed_features",
    "embed_particles",
    "finetune",
    "global_features",
    "load",
    "load_state_dict",
    "particle_features",
    "predict",
    "pretrain",
    "save",
    "select_visible",
]
