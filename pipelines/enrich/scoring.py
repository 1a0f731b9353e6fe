"""Scores from embeddings: sentiment, emotions, Ekman group and NEV (text proxy) per text.

The heads run on every unit (chunk) and the unit outputs are averaged per text with the units'
token counts as weights: a long complaint's sentiment is the sentiment of all of it, not of its
first 256 tokens. NEV is computed on the pooled emotion probabilities (docs/metrics.md, NEV (text proxy)).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.embeddings.chunking import Units, pool
from pipelines.embeddings.protocol import Encoder
from pipelines.embeddings.store import DIM, Encoded, encode_units, vectors_to_arrow
from pipelines.enrich.settings import EnrichSettings
from pipelines.models import EKMAN_LABELS, ModelSettings, ekman, load_emotion, load_sentiment, load_settings
from pipelines.models import sentiment_score as _sentiment_score
from pipelines.models.nev import load_mapping, nev_text

# Bumped when chunking, pooling or aggregation change: results differ even with the same models.
PIPELINE_VERSION = "enrich1"


@dataclass
class SentimentRoute:
    """A taught sentiment head that reads another encoder's vectors than the shared one: the
    multilingual route's e5 (`[models] teach_encoder`). English texts' sentiment comes from it, on
    e5 vectors stored under e5's own name in the embedding store; emotions stay on the shared encoder.
    The encoder is loaded on first use (Ray workers, which never run the route, never load it)."""

    head: object
    encoder_name: str
    threads: int = 1
    _encoder: object | None = None

    def encoder(self, multilingual=None) -> Encoder:
        """The route's encoder: the multilingual route's own when it is the same, else loaded once."""
        if self._encoder is None:
            if multilingual is not None and multilingual.encoder.name == self.encoder_name:
                self._encoder = multilingual.encoder
            else:
                from pipelines.models.multilingual import encoder_for

                self._encoder = encoder_for(self.encoder_name, self.threads)
        return self._encoder


def split_taught(sentiment, emotion, db, encoder_name: str, settings: ModelSettings, threads: int = 1,
                 multilingual=None):
    """(sentiment, emotion, route): the active taught heads of the warehouse `db` in place of the given
    ones; a sentiment head taught on the multilingual route's encoder becomes the `SentimentRoute` (the
    given sentiment head stays for the shared pass)."""
    from pipelines.models.taught import load_taught

    if db is None:
        return sentiment, emotion, None
    route_name = teach_route_encoder(settings, multilingual)
    taught_sentiment, emotion = load_taught(db, encoder_name, sentiment, emotion, route=route_name)
    if route_name and getattr(taught_sentiment, "encoder_name", "") == route_name != encoder_name:
        return sentiment, emotion, SentimentRoute(taught_sentiment, route_name, threads)
    return taught_sentiment, emotion, None


def teach_route_encoder(settings: ModelSettings, multilingual=None) -> str:
    """The encoder name `teach sentiment` fits on when it is not the shared one (the multilingual
    route's sentiment head's encoder: of `multilingual`, loaded, else of the shipped route's head),
    or "" (`[models] teach_encoder` resolves to "shared")."""
    if settings.teach_on != "multilingual":
        return ""
    if multilingual is not None:
        return multilingual.sentiment.encoder_name
    from pipelines.models.heads import HeadSentimentModel
    from pipelines.models.multilingual import HEADS_DIR

    return HeadSentimentModel.load(HEADS_DIR / "sentiment").encoder_name


@dataclass
class Models:
    """Everything enrichment loads once: the shared encoder and the two heads."""

    encoder: Encoder
    sentiment: object
    emotion: object
    settings: ModelSettings
    db: str | None = None  # the warehouse whose taught heads were loaded (Ray workers load the same)
    # The route for Chinese, Polish and the other USE languages (`pipelines.models.multilingual`);
    # None: such texts are marked not_english, as before.
    multilingual: object | None = None
    # A taught sentiment head on the multilingual route's encoder: it scores English texts' sentiment
    # (`batches.compute_results`); `sentiment` above then only runs in the shared pass, overwritten.
    sentiment_route: SentimentRoute | None = None

    @classmethod
    def load(
        cls, enrich: EnrichSettings | None = None, settings: ModelSettings | None = None, db=None
    ) -> "Models":
        """Build from `[models]` (its `mode` picks the full or fast encoder and heads), with `[enrich]`
        batch_size/threads taking precedence when set. With the warehouse path `db`, a head taught on
        its labels (`python -m pipelines teach`) replaces the shipped one of the same encoder.
        `[enrich] multilingual` (on by default) adds the multilingual route's encoder and heads."""
        from pipelines.models import load_encoder
        from pipelines.models.fast import check_heads

        s = settings or load_settings()
        if enrich is not None:
            s = dataclasses.replace(
                s, batch_size=enrich.batch_size or s.batch_size, threads=enrich.threads or s.threads
            )
        encoder, sentiment, emotion = load_encoder(s), load_sentiment(s), load_emotion(s)
        multilingual = None
        if enrich is None or enrich.multilingual:
            from pipelines.models.multilingual import MultilingualModels

            multilingual = MultilingualModels.load(threads=s.threads or 1)
        sentiment, emotion, route = split_taught(sentiment, emotion, db, encoder.name, s, s.threads or 1,
                                                 multilingual)
        check_heads(encoder, sentiment, emotion)
        return cls(encoder, sentiment, emotion, s, str(db) if db else None, multilingual, route)

    def with_taught(self, db) -> "Models":
        """These models with the active taught heads of the warehouse `db` in place of theirs (each only
        where one is active; e.g. one `teach_pending` just accepted)."""
        from pipelines.models.fast import check_heads

        if db is None:
            return self
        sentiment, emotion, route = split_taught(self.sentiment, self.emotion, db, self.encoder.name,
                                                 self.settings, self.settings.threads or 1, self.multilingual)
        check_heads(self.encoder, sentiment, emotion)
        if route is not None and self.sentiment_route is not None \
                and route.head.version == self.sentiment_route.head.version:
            route = self.sentiment_route  # keeps its loaded encoder
        return dataclasses.replace(self, sentiment=sentiment, emotion=emotion, sentiment_route=route)

    @property
    def version(self) -> str:
        """The tag every result carries: encoder + sentiment head + emotion head + pipeline logic, and the
        multilingual route's models when it is on (its texts are scored, not marked, so rows differ)."""
        sentiment = self.sentiment.version if self.sentiment_route is None else self.sentiment_route.head.version
        parts = (self.encoder.name, sentiment, self.emotion.version, PIPELINE_VERSION)
        if self.multilingual is not None:
            parts += (f"ml:{self.multilingual.version}",)
        return "|".join(parts)


@dataclass(frozen=True)
class Scores:
    """Per-text model outputs, rows aligned with the texts scored."""

    sentiment_probs: np.ndarray  # (n, 3) negative, neutral, positive
    sentiment_score: np.ndarray  # (n,) in [-1, 1]
    sentiment_label: list[str]
    emotion_probs: np.ndarray    # (n, 28) GoEmotions order
    top_emotions: list[list[str]]
    ekman: list[str]
    nev_positive: np.ndarray
    nev_negative: np.ndarray
    nev_text: np.ndarray         # NaN where P + N is below the threshold

    def top_emotion(self) -> list[str]:
        """The single most salient emotion per text."""
        return [labels[0] for labels in self.top_emotions]


def top_emotions(probs: np.ndarray, labels: tuple[str, ...], thresholds: np.ndarray, k: int) -> list[list[str]]:
    """Labels at or above their calibrated threshold, most probable first, at most `k`.

    A text with no label over threshold gets its single most probable label, so every scored text
    has at least one.
    """
    out = []
    for row in np.asarray(probs):
        order = np.argsort(-row, kind="stable")
        picked = [labels[j] for j in order if row[j] >= thresholds[j]][:k]
        out.append(picked or [labels[order[0]]])
    return out


def score(encoded: Encoded, models: Models, top_k: int = 3) -> Scores:
    """Run both heads on the units of `encoded` and pool per text."""
    units = encoded.units
    sent_units = models.sentiment.predict_proba(
        units.texts, encoded.unit_vectors if models.sentiment.needs_embeddings else None
    )
    emo_units = models.emotion.predict_proba(
        units.texts, encoded.unit_vectors if models.emotion.needs_embeddings else None
    )
    sent = pool(sent_units, units)
    emo = pool(emo_units, units)
    p, n, nev = nev_text(emo, models.settings.nev_min_emotion, _mapping())
    sentiment_labels = tuple(models.sentiment.labels)
    return Scores(
        sentiment_probs=sent,
        sentiment_score=np.asarray(_sentiment_score(sent), dtype=np.float64),
        sentiment_label=[sentiment_labels[j] for j in sent.argmax(axis=1)],
        emotion_probs=emo,
        top_emotions=top_emotions(emo, tuple(models.emotion.labels), np.asarray(models.emotion.thresholds), top_k),
        ekman=[EKMAN_LABELS[j] for j in ekman(emo).argmax(axis=1)] if len(emo) else [],
        nev_positive=p,
        nev_negative=n,
        nev_text=nev,
    )


# One row per distinct text: what `score_texts` returns on every engine (local, Ray) and what the
# stage joins back to interactions and turns by `text_hash`.
RESULT_SCHEMA = pa.schema([
    ("text_hash", pa.string()),
    ("embedding", pa.list_(pa.float32(), DIM)),
    ("n_chunks", pa.int32()),
    ("sentiment_label", pa.string()),
    ("sentiment_score", pa.float64()),
    ("emotion_probs", pa.list_(pa.float32(), 28)),
    ("top_emotions", pa.list_(pa.string())),
    ("ekman", pa.string()),
    ("nev_positive", pa.float64()),
    ("nev_negative", pa.float64()),
    ("nev_text", pa.float64()),  # NULL where P + N is below the threshold
])


def results_table(
    hashes: list[str], encoded: Encoded, models: Models, top_k: int = 3, with_vectors: bool = True
) -> pa.Table:
    """Score `encoded` (see `score`) and return one `RESULT_SCHEMA` row per text, keyed by hash;
    `with_vectors=False` leaves `embedding` NULL (vectors that are not the store's encoder's)."""
    if not len(hashes):
        return RESULT_SCHEMA.empty_table()
    s = score(encoded, models, top_k)
    return pa.table({
        "text_hash": pa.array(list(hashes), pa.string()),
        "embedding": vectors_to_arrow(encoded.vectors) if with_vectors else pa.nulls(len(hashes), RESULT_SCHEMA.field("embedding").type),
        "n_chunks": pa.array(encoded.units.counts().astype(np.int32), pa.int32()),
        "sentiment_label": pa.array(s.sentiment_label, pa.string()),
        "sentiment_score": pa.array(s.sentiment_score, pa.float64()),
        "emotion_probs": vectors_to_arrow(s.emotion_probs),
        "top_emotions": pa.array(s.top_emotions, pa.list_(pa.string())),
        "ekman": pa.array(s.ekman, pa.string()),
        "nev_positive": pa.array(np.asarray(s.nev_positive, dtype=np.float64), pa.float64()),
        "nev_negative": pa.array(np.asarray(s.nev_negative, dtype=np.float64), pa.float64()),
        "nev_text": pa.array(np.asarray(s.nev_text, dtype=np.float64), pa.float64(), from_pandas=True),
    }, schema=RESULT_SCHEMA)


def score_texts(models: Models, hashes: list[str], texts: list[str], top_k: int = 3, on_progress=None) -> pa.Table:
    """Encode `texts` (chunking long ones) and score them: the model work of every engine.

    The local stage calls it per batch; each Ray actor calls it per `map_batches` batch.
    """
    return results_table(hashes, encode_units(models.encoder, texts, on_progress), models, top_k)


def score_stored(models: Models, hashes: list[str], texts: list[str], vectors: np.ndarray, top_k: int = 3) -> pa.Table:
    """Score texts whose single-unit vectors came from the embedding store (no encoder pass)."""
    n = len(hashes)
    units = Units(list(texts), np.arange(n, dtype=np.int64), np.ones(n), n)
    return results_table(hashes, Encoded(vectors, units, vectors), models, top_k)


def score_multilingual(models: Models, hashes: list[str], texts: list[str], top_k: int = 3) -> pa.Table:
    """`RESULT_SCHEMA` rows for texts of the multilingual route, scored by its encoder and heads
    (`pipelines.models.multilingual`): long texts chunked as on the English path when the encoder has a
    tokenizer (e5), else one vector per whole text (USE averages over it). `embedding` is NULL: the
    store holds the English encoder's vectors only."""
    ml = models.multilingual
    n = len(hashes)
    if ml is None or not n:
        return RESULT_SCHEMA.empty_table()
    if getattr(ml.encoder, "tokenizer", None) is not None:
        encoded = encode_units(ml.encoder, list(texts))
    else:
        vectors = ml.encoder.encode(list(texts))
        encoded = Encoded(vectors, Units(list(texts), np.arange(n, dtype=np.int64), np.ones(n), n), vectors)
    routed = dataclasses.replace(models, encoder=ml.encoder, sentiment=ml.sentiment, emotion=ml.emotion,
                                 multilingual=None)
    return results_table(hashes, encoded, routed, top_k, with_vectors=False)


def score_route(models: Models, store, hashes: list[str], texts: list[str]) -> tuple[np.ndarray, int, int]:
    """Sentiment probabilities (n, 3) of English texts from the taught head of `models.sentiment_route`,
    on its encoder's vectors: read from `store` (a `StoreIndex` of that encoder) where stored, else
    encoded (long texts chunked, as on the shared path) and stored. Returns (probs, encoded, reused)."""
    route = models.sentiment_route
    probs = np.zeros((len(hashes), 3), dtype=np.float32)
    if route is None or not hashes:
        return probs, 0, 0
    encoder = route.encoder(models.multilingual)
    budget = encoder.max_tokens - 2
    stored = store.stored(hashes)
    fresh = [i for i, h in enumerate(hashes) if h not in stored or len(texts[i]) > budget]
    reuse = [i for i, h in enumerate(hashes) if h in stored and len(texts[i]) <= budget]
    if fresh:
        encoded = encode_units(encoder, [texts[i] for i in fresh])
        units = encoded.units
        probs[fresh] = pool(route.head.predict_proba(units.texts, encoded.unit_vectors), units)
        unseen = [j for j, i in enumerate(fresh) if hashes[i] not in stored]
        store.store([hashes[fresh[j]] for j in unseen], encoded.vectors[unseen])
    if reuse:
        probs[reuse] = route.head.predict_proba([texts[i] for i in reuse], store.vectors([hashes[i] for i in reuse]))
    return probs, len(fresh), len(reuse)


def with_route_sentiment(table: pa.Table, probs: np.ndarray, labels: tuple[str, ...]) -> pa.Table:
    """`RESULT_SCHEMA` rows with their sentiment label and score replaced by those of `probs`."""
    label = pa.array([labels[j] for j in probs.argmax(axis=1)] if len(probs) else [], pa.string())
    value = pa.array(np.asarray(_sentiment_score(probs), dtype=np.float64) if len(probs) else [], pa.float64())
    table = table.set_column(table.schema.get_field_index("sentiment_label"), "sentiment_label", label)
    return table.set_column(table.schema.get_field_index("sentiment_score"), "sentiment_score", value)


_MAPPING: list = []


def _mapping():
    """The NEV label map, read once per process."""
    if not _MAPPING:
        _MAPPING.append(load_mapping())
    return _MAPPING[0]
