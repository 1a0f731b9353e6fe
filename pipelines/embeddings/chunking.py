"""Long texts: split on sentence boundaries into chunks that fit the encoder, never truncate.

The encoder reads at most `max_tokens` (256) tokens; an email or a complaint narrative is often
longer. Each text becomes one or more *units*: sentences packed greedily up to the token budget (a
sentence longer than the budget is cut at token boundaries). The text's embedding is the
L2-normalised mean of its units' embeddings, and per-unit model outputs are averaged with the
units' token counts as weights, so a long complaint is judged on all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# End of sentence followed by space, or a line break (emails and narratives use both).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")
_SPECIAL_TOKENS = 2  # [CLS] and [SEP]


@dataclass(frozen=True)
class Units:
    """Encoder-sized pieces of a list of texts: `owner[i]` is the text that unit `i` comes from."""

    texts: list[str]
    owner: np.ndarray   # (U,) int, index into the source texts
    weight: np.ndarray  # (U,) float, tokens (or characters, for single-unit texts) in the unit
    n_texts: int

    def counts(self) -> np.ndarray:
        """Units per source text."""
        return np.bincount(self.owner, minlength=self.n_texts)


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of `text`, stripped, empty ones dropped."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def _token_windows(text: str, tokenizer, budget: int) -> list[tuple[str, int]]:
    """Cut one overlong sentence into pieces of at most `budget` tokens, at token boundaries."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    offsets = enc["offset_mapping"]
    pieces = []
    for start in range(0, len(offsets), budget):
        window = offsets[start : start + budget]
        piece = text[window[0][0] : window[-1][1]].strip()
        if piece:
            pieces.append((piece, len(window)))
    return pieces


def chunk_text(text: str, tokenizer, max_tokens: int) -> list[tuple[str, int]]:
    """`(chunk, n_tokens)` pairs covering all of `text`, each at most `max_tokens` with specials.

    >>> chunk_text("Short one.", tok, 256)  # doctest: +SKIP
    [('Short one.', 3)]
    """
    budget = max_tokens - _SPECIAL_TOKENS
    sentences = split_sentences(text)
    if not sentences:
        return []
    lengths = [len(ids) for ids in tokenizer(sentences, add_special_tokens=False, verbose=False)["input_ids"]]
    chunks: list[tuple[str, int]] = []
    current: list[str] = []
    used = 0
    for sentence, n in zip(sentences, lengths):
        if n > budget:
            if current:
                chunks.append((" ".join(current), used))
                current, used = [], 0
            chunks.extend(_token_windows(sentence, tokenizer, budget))
            continue
        if used + n > budget and current:
            chunks.append((" ".join(current), used))
            current, used = [], 0
        current.append(sentence)
        used += n
    if current:
        chunks.append((" ".join(current), used))
    return chunks


def make_units(texts: list[str], tokenizer, max_tokens: int) -> Units:
    """Split every text into units; texts that surely fit stay whole without being tokenized.

    A WordPiece token covers at least one character, so a text of at most `max_tokens - 2`
    characters cannot overflow: tweets and chat turns skip the tokenizer entirely.
    """
    budget = max_tokens - _SPECIAL_TOKENS
    unit_texts: list[str] = []
    owner: list[int] = []
    weight: list[float] = []
    long_idx = [i for i, t in enumerate(texts) if len(t) > budget]
    n_tokens = {}
    if long_idx:
        ids = tokenizer([texts[i] for i in long_idx], add_special_tokens=False, verbose=False)["input_ids"]
        n_tokens = {i: len(x) for i, x in zip(long_idx, ids)}
    for i, text in enumerate(texts):
        if n_tokens.get(i, 0) <= budget:
            unit_texts.append(text)
            owner.append(i)
            weight.append(float(n_tokens.get(i, len(text)) or 1))
            continue
        for chunk, n in chunk_text(text, tokenizer, max_tokens) or [(text, 1)]:
            unit_texts.append(chunk)
            owner.append(i)
            weight.append(float(max(n, 1)))
    return Units(unit_texts, np.asarray(owner, dtype=np.int64), np.asarray(weight, dtype=np.float64), len(texts))


def pool(values: np.ndarray, units: Units, normalise: bool = False) -> np.ndarray:
    """Weighted mean of per-unit rows per source text; L2-normalised when `normalise` (embeddings)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros((units.n_texts, values.shape[1]), dtype=np.float64)
    np.add.at(out, units.owner, values * units.weight[:, None])
    totals = np.zeros(units.n_texts, dtype=np.float64)
    np.add.at(totals, units.owner, units.weight)
    out /= np.maximum(totals, 1e-12)[:, None]
    if normalise:
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32)
