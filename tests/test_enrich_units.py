"""Language detection and chunking of long texts (no model: the encoder's tokenizer only)."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.enrich import language
from pipelines.embeddings.chunking import chunk_text, make_units, pool, split_sentences
from pipelines.enrich.settings import EnrichSettings
from pipelines.settings import SettingsError


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from pipelines.models.encoder import default_encoder_path

    return AutoTokenizer.from_pretrained(str(default_encoder_path()))


@pytest.mark.parametrize(("text", "code", "english"), [
    ("My card was charged twice and nobody calls me back", "en", True),
    ("@united thx!!", "und", True),                       # too short to tell: scored as English
    ("BEST FLIGHT EVER, THANKS @Delta", "en", True),
    ("Karta została obciążona dwa razy i nikt do mnie nie oddzwania", "pl", False),
    ("Hola, necesito ayuda urgente con la actualización del teléfono, la batería dura muy poco", "es", False),
    ("电话打不通，退款还没有到账", "zh", False),
    ("", "empty", False),
    (None, "empty", False),
    ("@AppleSupport https://t.co/x 😡😡", "zxx", False),
])
def test_detect(text, code, english):
    found = language.detect(text)
    assert (found.code, found.is_english) == (code, english)


def test_detect_many_detects_each_distinct_text_once(monkeypatch):
    calls = []
    real = language.detect
    monkeypatch.setattr(language, "detect", lambda t, m=12, b=language.DEFAULT_BACKEND: calls.append(t) or real(t, m, b))
    out = language.detect_many(["hello there, thank you", "hello there, thank you", "Dzień dobry, proszę o pomoc z kontem"])
    assert [x.is_english for x in out] == [True, True, False] and len(calls) == 2


def test_short_english_tweets_are_not_called_another_language():
    # langdetect called these af / fr / so and left them unscored (issue 15); py3langid settles them
    for text in ("@united Deep Vein thrombosis", "@JetBlue Amazing flight crew!!", "@SouthwestAir Love love love"):
        assert language.detect(text).is_english, text
    assert language.detect("Zamówienie nie dotarło, a pieniądze pobrano dwa razy").code == "pl"


def test_short_text_is_one_unit_without_tokenizing():
    class NoTokenizer:
        def __call__(self, *a, **k):
            raise AssertionError("short texts must not be tokenized")

    units = make_units(["short", "another short one"], NoTokenizer(), 256)
    assert units.texts == ["short", "another short one"] and list(units.owner) == [0, 1]


def test_long_text_chunks_cover_everything_within_the_budget(tokenizer):
    sentences = [f"Sentence number {i} says the payment of {i * 10} dollars was lost again." for i in range(80)]
    text = " ".join(sentences)
    chunks = chunk_text(text, tokenizer, 64)
    assert len(chunks) > 5
    for chunk, n in chunks:
        assert len(tokenizer(chunk, add_special_tokens=True)["input_ids"]) <= 64
    # Nothing dropped: every sentence is in exactly one chunk, in order.
    assert " ".join(c for c, _ in chunks) == text


def test_overlong_sentence_is_cut_at_token_boundaries(tokenizer):
    run_on = "and then they charged me again " * 200  # one sentence, about 1,200 tokens
    chunks = chunk_text(run_on, tokenizer, 256)
    assert len(chunks) >= 4 and all(n <= 254 for _, n in chunks)
    assert sum(n for _, n in chunks) == len(tokenizer(run_on.strip(), add_special_tokens=False)["input_ids"])


def test_split_sentences_on_ends_and_lines():
    assert split_sentences("First one. Second?\nThird line\n\n Fourth!") == ["First one.", "Second?", "Third line", "Fourth!"]


def test_pool_weighted_mean_and_normalised(tokenizer):
    units = make_units(["x" * 10, "a long text. " * 200], tokenizer, 32)
    values = np.random.default_rng(0).random((len(units.texts), 4)).astype(np.float32)
    pooled = pool(values, units, normalise=True)
    assert pooled.shape == (2, 4)
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, rtol=1e-5)
    mask = units.owner == 1
    expected = (values[mask] * units.weight[mask, None]).sum(0) / units.weight[mask].sum()
    np.testing.assert_allclose(pool(values, units)[1], expected, rtol=1e-5)


def test_settings_reject_nonsense():
    with pytest.raises(SettingsError, match="commit_rows"):
        EnrichSettings(commit_rows=0)
    with pytest.raises(SettingsError, match="threads"):
        EnrichSettings(threads=-1)
