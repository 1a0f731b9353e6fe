"""Contact reasons for texts in other languages: the reasons found on English texts, across languages.

The topic model is fitted on English texts with the English encoder. A contact in a language the
multilingual route handles (`pipelines.models.multilingual.scorable`: Polish, Chinese...) is embedded
by that route's encoder (any `Encoder`: a `name` and `encode(texts)`) and joins the reason whose
multilingual centre is nearest, when the cosine clears a threshold calibrated for that encoder;
below it the contact stays in "other".

- A reason's multilingual centre is the mean of its anchors embedded by the multilingual encoder:
  up to `N_ANCHORS` member texts, spread from the reason's core to its edge (`anchor_texts`, kept in
  the model when it is fitted), and its name with the reason library's description when it has one.
- The threshold is the `CALIBRATION_QUANTILE` of the best cosine that off-topic sentences in
  several languages (`data/off_topic.txt`: weather, hobbies, food) reach to those centres: an
  off-topic text stays in Other 95% of the time. It is calibrated on the encoder's own cosines, so
  it follows an encoder switch (e5's cosines sit higher than USE's), and on texts in other
  languages: English members' similarity to their own reason (0.49 and up for USE on the demo) is
  no guide, a translation sits much further from English texts (0.19-0.64 for the demo's phrases).
- The centres are computed once per model and encoder and saved beside the model
  (`crosslingual-<encoder>.safetensors`); the contacts' multilingual vectors are not stored (the
  multilingual route re-encodes too: `pipelines.models.multilingual`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.topics import labels as tl

N_ANCHORS = 24
CALIBRATION_QUANTILE = 0.95
MAX_ANCHOR_CHARS = 400
OFF_TOPIC = Path(__file__).with_name("data") / "off_topic.txt"


@dataclass(frozen=True)
class CrossLingual:
    """Multilingual centres of a model's reasons: row i belongs to `ids[i]`."""

    encoder: str
    ids: np.ndarray
    centroids: np.ndarray
    threshold: float  # a text nearer than this to no centre stays in "other" (model.nearest_topic)


def anchor_texts(texts: list[str], x: np.ndarray, members: np.ndarray, centroid: np.ndarray,
                 k: int = N_ANCHORS) -> list[str]:
    """Up to `k` distinct member texts at evenly spaced ranks of closeness to the centre (core to edge)."""
    if len(members) == 0:
        return []
    order = members[np.argsort(-(x[members] @ centroid), kind="stable")]
    out: list[str] = []
    seen: set[str] = set()
    for i in order[np.unique(np.linspace(0, len(order) - 1, num=min(len(order), 4 * k)).astype(int))]:
        text = " ".join(texts[i].split())[:MAX_ANCHOR_CHARS]
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    if len(out) <= k:
        return out
    return [out[j] for j in np.unique(np.linspace(0, len(out) - 1, num=k).astype(int))]


def off_topic() -> list[str]:
    """The shipped off-topic sentences the threshold is calibrated on."""
    lines = OFF_TOPIC.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _name_text(topic: dict) -> str:
    described = {r.name: r.text for r in tl.library()}
    return described.get(topic.get("library_reason") or "", topic["label"])


def build(topics: list[dict], encoder) -> CrossLingual:
    """Embed each reason's anchors with `encoder`, average them into centres, calibrate the threshold
    on the off-topic sentences."""
    groups = [[_name_text(t)] + list(t.get("anchor_texts") or t.get("representative_texts") or [])
              for t in topics]
    flat = [text for group in groups for text in group]
    owner = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    x = np.asarray(encoder.encode(flat), dtype=np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    sums = np.zeros((len(groups), x.shape[1]), dtype=np.float32)
    np.add.at(sums, owner, x)
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    probes = np.asarray(encoder.encode(off_topic()), dtype=np.float32)
    probes /= np.maximum(np.linalg.norm(probes, axis=1, keepdims=True), 1e-12)
    threshold = float(np.quantile((probes @ centroids.T).max(axis=1), CALIBRATION_QUANTILE))
    ids = np.asarray([t["id"] for t in topics], dtype=np.int64)
    return CrossLingual(encoder.name, ids, centroids, threshold)


def _path(folder: Path, encoder_name: str) -> Path:
    return Path(folder) / f"crosslingual-{re.sub(r'[^A-Za-z0-9_.-]+', '_', encoder_name)}.safetensors"


def load_or_build(folder: Path, topics: list[dict], encoder) -> CrossLingual:
    """The saved centres of this model folder for `encoder`, built and saved on first use."""
    from safetensors.numpy import load_file, save_file

    path = _path(folder, encoder.name)
    if path.exists():
        arrays = load_file(str(path))
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return CrossLingual(meta["encoder"], arrays["ids"], arrays["centroids"], float(meta["threshold"]))
    index = build(topics, encoder)
    # The metadata first: the centres' file is what says the pair is complete.
    path.with_suffix(".json").write_text(json.dumps({"encoder": index.encoder, "threshold": index.threshold}),
                                         encoding="utf-8")
    save_file({"centroids": np.ascontiguousarray(index.centroids), "ids": index.ids}, str(path))
    return index
