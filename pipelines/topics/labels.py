"""Reason names a CX team would write: a noun phrase from the members' own texts, or the library's name.

1. Candidates are 1-3 word phrases of the cleaned member texts (see `cleaning`: no handles, brands,
   names, greetings): no stop word anywhere, and a light noun-phrase heuristic in place of a
   part-of-speech tagger (no spaCy model can be shipped here): the last word is never a verb, adverb
   or chat word (`data/not_heads.txt`), nor an "-ly" word, so "double charge" and "lost luggage"
   pass and "just", "Theres" or "Rest / week" do not. A word the texts nearly always capitalise
   mid-sentence (a company, person or place: `CorpusWords.names`) is never part of one.
2. A phrase must occur in at least `MIN_PHRASE_SHARE` of the topic's texts; the top candidates by
   c-TF-IDF (a phrase's frequency in the topic against its frequency in all topics, as BERTopic's
   ClassTfidfTransformer) are re-ranked by closeness of their embedding to the topic's centre
   (BERTopic's KeyBERTInspired). The best is the topic's phrase, the ranked list its keywords.
3. The library (`data/reasons.yaml`: common contact reasons across industries with a short
   description each) names a topic when the topic's centre is within `library_similarity` of an
   entry's description; the phrase stays as the sub-label: "Refund / ticket refund". Topics named
   after one entry share it as their parent reason ("Late flight" over "Late flight / gate").
Labels are made unique within a model (a suffix that only repeats the name in the plural does not
count). The business's taxonomy file renames on top of all this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

OTHER_LABEL = "Other"
OTHER_ID = -1
NO_PHRASE_LABEL = "No reason given"
MIXED_LABEL = "Mixed reasons"  # a topic whose texts share no phrase (see make_label)
DATA = Path(__file__).with_name("data")
MIN_PHRASE_SHARE = 0.03   # a name's phrase occurs in at least 3% of the topic's texts (and twice)
N_CANDIDATES = 25         # c-TF-IDF candidates re-ranked by embedding closeness
MAX_WORDS = 3
PHRASE_BONUS = 0.05       # per extra word, see choose_phrases
# Typographic apostrophes read as the ASCII one ("it\u2019s" is one word, not "it" + "s").
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_TOKEN = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")
# Adjectives and participles that may open a phrase ("wrong item", "lost luggage", "late flight").
OPENERS = frozenset({"wrong", "bad", "long", "late", "new", "old", "big", "last", "lost", "double", "extra",
                     "broken", "damaged", "missing", "delayed", "cancelled", "canceled", "late", "free", "good"})

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class LibraryReason:
    name: str
    group: str
    description: str

    @property
    def text(self) -> str:
        """What is embedded and compared with a topic's centre."""
        return f"{self.name}: {self.description}"


NAMING_METHOD = "phrase+library-5"


@lru_cache(maxsize=1)
def naming_version() -> str:
    """The naming method and a digest of its data: a re-fit keeps a matched topic's old name only
    when its model was named the same way (so names from an older method never stick)."""
    import hashlib

    digest = hashlib.sha1(NAMING_METHOD.encode())
    for name in ("reasons.yaml", "not_heads.txt", "first_names.txt", "profanity.txt"):
        digest.update((DATA / name).read_bytes())
    return f"{NAMING_METHOD}@{digest.hexdigest()[:8]}"


@lru_cache(maxsize=1)
def library() -> tuple[LibraryReason, ...]:
    """The shipped reason library (`data/reasons.yaml`)."""
    import yaml

    rows = yaml.safe_load((DATA / "reasons.yaml").read_text(encoding="utf-8"))
    return tuple(LibraryReason(str(r["name"]), str(r["group"]), str(r["description"])) for r in rows)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    extra = {"im", "ive", "dont", "cant", "didnt", "doesnt", "wont", "isnt", "thats", "theres", "youre", "amp",
             "u", "ur", "pls", "plz", "dm", "rt", "via"}
    # sklearn's list holds words that are contact reasons here.
    content = {"bill", "call", "system", "interest", "amount", "name", "fire", "computer", "detail", "account"}
    return (frozenset(ENGLISH_STOP_WORDS) - content) | extra | profanity()


@lru_cache(maxsize=1)
def profanity() -> frozenset[str]:
    """Words never part of a reason name (`data/profanity.txt`): a praise topic full of "kick ass"
    is not called "Ass"."""
    lines = (DATA / "profanity.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


@lru_cache(maxsize=1)
def not_heads() -> frozenset[str]:
    lines = (DATA / "not_heads.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


def _is_head(word: str) -> bool:
    """Could end a noun phrase: not listed, no "-ly" adverb, no "-ed" past tense ("charged")."""
    return (word not in not_heads() and len(word) > 2 and not word.endswith("ly")
            and not (word.endswith("ed") and not word.endswith("eed")))


@dataclass(frozen=True)
class CorpusWords:
    """What the fit's own texts say about their words, for the naming rules (no tagger needed).

    - `broken`: tokens a text substitution glued together: camelCase inside a word ("reFlight") or a
      word nearly always capitalised that starts with a much more frequent word mostly written in
      lower case ("Flightled", "Flightr", "Flighted": the airline file replaced "cancel" and "late"
      in its tweets). They break a phrase like a stop word.
    - `proper`: words capitalised (or in capitals) in most of their mid-sentence uses (places,
      airport codes, people: "Denver", "JFK"). A phrase of proper words only is never a name.
    - `names`: words capitalised in nine of ten mid-sentence uses, never in capitals and never a word
      of the reason library: the companies a complaint is about ("Experian", "Wells Fargo") when no
      brand column names them, people, places, days. They break a phrase like a stop word, so
      "Wells Fargo bank" is never a name and "bank" may be.
    - `not_nouns`: words that never follow a determiner, possessive or preposition ("miss",
      "suck"): verbs and adjectives; such a word never ends a phrase.
    """

    broken: frozenset[str] = frozenset()
    proper: frozenset[str] = frozenset()
    not_nouns: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()


_WORD = re.compile(r"[A-Za-z][A-Za-z']*[A-Za-z]|[A-Za-z]")
_DETERMINERS = frozenset({"a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "any", "no",
                          "every", "each", "some", "another", "of", "for", "with", "about", "on", "in", "at"})
MIN_WORD_USES = 10      # fewer uses than this: too little evidence to judge a word
PROPER_SHARE = 0.6      # capitalised in at least this share of its mid-sentence uses
NAME_SHARE = 0.9        # ... for a name (CFPB narratives: "Experian" 91%, "Wells" 98%; "refund" far below)
NOUN_SHARE = 0.05       # after a determiner, possessive or preposition in at least this share of uses

# Each word with the word before it (split on spaces only, so a word after a line break is glued to
# it and skipped): a word counts where it cannot open a sentence (the word before does not end in
# ".", "!", "?", ":" ...), in a text where at most half the words are capitalised (not Title Case
# or shouting), and, unless `$acronyms`, not in capitals itself ("USA", "ATMs").
PROPER_NOUNS_SQL = r"""
WITH said AS (
    SELECT toks FROM (SELECT string_split(text, ' ') AS toks FROM texts)
    WHERE len(toks) > 1 AND len(list_filter(toks, lambda x: x[1] BETWEEN 'A' AND 'Z')) <= 0.5 * len(toks)
), pairs AS (
    SELECT unnest(toks[1:len(toks) - 1]) AS prev, unnest(toks[2:]) AS tok FROM said
), words AS (
    SELECT regexp_extract(tok, '^([A-Za-z][A-Za-z]+)(?:[^A-Za-z0-9_@]|$)', 1) AS word FROM pairs
    WHERE (tok[1] BETWEEN 'A' AND 'Z' OR tok[1] BETWEEN 'a' AND 'z')
      AND prev <> '' AND NOT regexp_matches(prev, '[.!?:;"“(\[]$')
)
SELECT lower(word) AS word FROM words
WHERE word <> '' AND ($acronyms OR NOT regexp_matches(word, '^[A-Z]+s?$')) AND length(word) >= $min_chars
GROUP BY 1 HAVING count(*) >= $min_count AND avg(CASE WHEN word[1] BETWEEN 'A' AND 'Z' THEN 1 ELSE 0 END) >= $min_share
"""


def proper_nouns(texts: Sequence[str], min_count: int = MIN_WORD_USES, min_share: float = NAME_SHARE,
                 acronyms: bool = False, min_chars: int = 3) -> set[str]:
    """Lower-case words capitalised in at least `min_share` of at least `min_count` mid-sentence uses.

    Texts mostly in capitals say nothing and are skipped, and so are words in capitals ("USA",
    "NEVER") unless `acronyms`; words of the reason library and function words are never returned
    (the airline tweets write "Cancelled" and "Late" capitalised every time). Counted in DuckDB.

    >>> sorted(proper_nouns(["my Experian report is wrong", "I called Experian twice",
    ...                      "the refund from Experian never came", "ATMs at the airport"], min_count=3))
    ['experian']
    """
    import duckdb
    import pandas as pd

    frame = pd.DataFrame({"text": pd.Series(list(texts), dtype=object).dropna().astype(str)})
    if frame.empty:
        return set()
    con = duckdb.connect()
    try:
        con.register("texts", frame)
        params = {"acronyms": acronyms, "min_chars": min_chars, "min_count": min_count, "min_share": min_share}
        found = {w for (w,) in con.execute(PROPER_NOUNS_SQL, params).fetchall()}
    finally:
        con.close()
    return found - reason_words()


@lru_cache(maxsize=1)
def reason_words() -> frozenset[str]:
    """Words that are never a name: function words and every word of the reason library."""
    words = {w for r in library() for w in re.findall(r"[a-z]+", f"{r.name} {r.group} {r.description}".lower())}
    return frozenset(words) | stop_words()


def corpus_words(texts: Sequence[str]) -> CorpusWords:
    """Count each word's uses in `texts` (case kept) and derive `CorpusWords`.

    >>> w = corpus_words(["We land in Denver soon."] * 10 + ["I miss my bag, the bag is lost."] * 10)
    >>> sorted(w.names), "miss" in w.not_nouns, "bag" in w.not_nouns
    (['denver'], True, False)
    """
    from collections import Counter

    uses, caps, after, camel = Counter(), Counter(), Counter(), set()
    for text in texts:
        for sentence in re.split(r"[.!?]+\s+|\n", text.translate(_APOSTROPHES)):
            words = _WORD.findall(sentence)
            for i, word in enumerate(words):
                low = word.lower().replace("'", "")
                uses[low] += 1
                caps[low] += word[0].isupper()
                if re.match(r"[a-z]{2,}[A-Z]", word):
                    camel.add(low)
                if i > 0:
                    after[low] += words[i - 1].lower() in _DETERMINERS
    broken = set(camel)
    for word, n in uses.items():
        if caps[word] < 0.9 * n:
            continue
        for k in range(4, len(word)):
            head, rest = word[:k], word[k:]
            if uses.get(head, 0) >= 3 * n and caps[head] <= 0.5 * uses[head]:
                broken.add(word)
                break
    names = proper_nouns(texts)
    proper = proper_nouns(texts, MIN_WORD_USES, PROPER_SHARE, acronyms=True, min_chars=2)
    not_nouns = {w for w, n in uses.items() if n >= MIN_WORD_USES and after[w] < NOUN_SHARE * n}
    return CorpusWords(frozenset(broken), frozenset(proper - broken - names), frozenset(not_nouns), frozenset(names))


def phrases(text: str, corpus: CorpusWords = CorpusWords()) -> list[str]:
    """Candidate noun phrases of one cleaned text (1-3 words, see the module doc).

    Hashtags ("#brandloveaffair"), first names (`cleaning.first_names`, any case) and the corpus's
    broken tokens are never part of one; it never ends with a word that is no noun in the corpus,
    nor is made of proper words only (`corpus_words`).

    >>> phrases("I was charged twice, a double charge on my card #fail lauren")
    ['double', 'double charge', 'charge', 'card']
    >>> phrases("Missed my connection in Denver", CorpusWords(proper=frozenset({"denver"})))
    ['connection']
    """
    from pipelines.topics.cleaning import first_names

    stop, out = stop_words() | first_names() | corpus.broken | corpus.names, []
    for run in re.split(r"#\w+|[^\w\s']|\d", text.translate(_APOSTROPHES).lower()):
        words = [w.replace("'", "") for w in _TOKEN.findall(run)]
        for i, first in enumerate(words):
            if first in stop:
                continue
            for j in range(i, min(i + MAX_WORDS, len(words))):
                if words[j] in stop:
                    break
                if j > i and first in not_heads() and first not in OPENERS:
                    break
                if (_is_head(words[j]) and (j == i or words[j] != first) and words[j] not in corpus.not_nouns
                        and not all(w in corpus.proper for w in words[i : j + 1])):
                    out.append(" ".join(words[i : j + 1]))
    return out


def rank_phrases(texts: Sequence[str], topic_of: np.ndarray, n_topics: int) -> list[list[tuple[str, float, int]]]:
    """Per topic: (phrase, c-TF-IDF, texts containing it) of its candidates, best first.

    c-TF-IDF counts each phrase once per text (short texts repeat nothing; long transcripts would
    otherwise name a topic after their most repeated filler).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    keep = np.flatnonzero(topic_of >= 0)
    if len(keep) == 0 or n_topics == 0:
        return [[] for _ in range(n_topics)]
    from functools import partial

    vec = CountVectorizer(analyzer=partial(phrases, corpus=corpus_words(texts)), binary=True, lowercase=False)
    try:
        counts = vec.fit_transform([texts[i] for i in keep])
    except ValueError:  # no candidate phrase in any text
        return [[] for _ in range(n_topics)]
    from scipy import sparse

    member = sparse.csr_matrix((np.ones(len(keep)), (topic_of[keep], np.arange(len(keep)))), shape=(n_topics, len(keep)))
    df = np.asarray((member @ counts).todense(), dtype=np.float64)  # (topics, phrases): texts containing it
    sizes = np.bincount(topic_of[keep], minlength=n_topics).astype(np.float64)
    tf = df / np.maximum(df.sum(axis=1, keepdims=True), 1.0)
    idf = np.log(1.0 + df.sum(axis=1).mean() / np.maximum(df.sum(axis=0), 1.0))
    ctfidf = tf * idf
    vocab = np.asarray(vec.get_feature_names_out(), dtype=object)
    out = []
    for t in range(n_topics):
        floor = max(2.0, MIN_PHRASE_SHARE * sizes[t])
        ok = np.flatnonzero(df[t] >= min(floor, max(sizes[t], 1.0)))
        order = ok[np.argsort(-ctfidf[t, ok], kind="stable")]
        out.append([(str(vocab[p]), float(ctfidf[t, p]), int(df[t, p])) for p in order[: N_CANDIDATES * 2]])
    return out


def choose_phrases(candidates: list[list[tuple[str, float, int]]], centroids: np.ndarray,
                   embed: Embed | None, n_keywords: int) -> list[list[str]]:
    """Re-rank each topic's top c-TF-IDF candidates by closeness to its centre; best first."""
    tops = [c[:N_CANDIDATES] for c in candidates]
    sims: dict[str, np.ndarray] = {}
    if embed is not None:
        wanted = sorted({p for c in tops for p, _, _ in c})
        if wanted:
            vectors = np.asarray(embed(wanted), dtype=np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            sims = dict(zip(wanted, vectors))
    out = []
    for t, cands in enumerate(tops):
        if not cands:
            out.append([])
            continue
        best = max(c for _, c, _ in cands) or 1.0
        scored = []
        for rank, (phrase, ctf, _) in enumerate(cands):
            score = ctf / best
            if sims:
                # Closeness decides; c-TF-IDF breaks near-ties and keeps generic phrases down.
                score = float(sims[phrase] @ centroids[t]) * (0.7 + 0.3 * ctf / best)
            # A longer phrase as close and as frequent as its head says more ("ticket refund").
            score *= 1.0 + PHRASE_BONUS * phrase.count(" ")
            scored.append((-score, rank, phrase))
        out.append([p for _, _, p in sorted(scored)][:n_keywords])
    return out


NAME_CHOICES = 3  # the name is the first of a topic's best keywords that enough of its texts contain


def name_phrase(candidates: list[tuple[str, float, int]], keywords: Sequence[str], size: int,
                min_share: float) -> tuple[str, float]:
    """(phrase, share of the topic's `size` texts containing it): the first of the `NAME_CHOICES` best
    `keywords` found in at least `min_share` of the texts, else the best keyword ("minimum age" is the
    closest phrase to banking77's age topic but in 7% of its texts; "age" is in most); ("", 0.0)
    without keywords.

    >>> name_phrase([("minimum age", 1.0, 3), ("age", 0.9, 35)], ["minimum age", "age"], 40, 0.08)
    ('age', 0.875)
    >>> name_phrase([("god", 1.0, 3)], ["god"], 73, 0.08)
    ('god', 0.0410958904109589)
    """
    if not keywords or size <= 0:
        return "", 0.0
    texts_with = {phrase: n for phrase, _, n in candidates}
    shares = [(k, texts_with.get(k, 0) / size) for k in keywords[:NAME_CHOICES]]
    return next(((k, share) for k, share in shares if share >= min_share), shares[0])


def match_library(centroids: np.ndarray, embed: Embed | None) -> list[tuple[LibraryReason | None, float]]:
    """Per topic: the closest library reason and its cosine (None without an encoder)."""
    if embed is None or len(centroids) == 0:
        return [(None, 0.0)] * len(centroids)
    lib = library()
    vectors = np.asarray(embed([r.text for r in lib]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = centroids @ vectors.T
    best = sims.argmax(axis=1)
    return [(lib[b], float(sims[i, b])) for i, b in enumerate(best)]


def stem(word: str) -> str:
    """A plural's singular, roughly ("refunds" -> "refund"): enough to tell two names say one thing."""
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def make_label(phrase: str | None, reason: LibraryReason | None = None, share: float = 1.0,
               min_share: float = 0.0, forms: dict[str, str] | None = None) -> str:
    """A topic's name: the library reason with the topic's phrase as sub-label, or the phrase; a phrase
    found in fewer than `min_share` of the topic's texts (`share`) names nothing on its own: the topic
    is `MIXED_LABEL` with it as sub-label. `forms`: how the texts write a word ("iOS", see
    `surface_forms`).

    >>> make_label("ticket refund", LibraryReason("Refund", "Billing", ""))
    'Refund / ticket refund'
    >>> make_label("refunds", LibraryReason("Refund", "Billing", ""))
    'Refund'
    >>> make_label("password reset link")
    'Password reset link'
    >>> make_label("god", share=0.04, min_share=0.08), make_label("ios update", forms={"ios": "iOS"})
    ('Mixed reasons / god', 'iOS update')
    """
    if not phrase:  # no content word in 3% of the texts: "ok", "I did", emoji
        return reason.name if reason else NO_PHRASE_LABEL
    shown = " ".join((forms or {}).get(w, w) for w in phrase.split())
    if reason is None:
        if share < min_share:
            return f"{MIXED_LABEL} / {shown}"
        return shown if phrase.split()[0] in (forms or {}) else shown[:1].upper() + shown[1:]
    named = {stem(w) for w in reason.name.lower().split()}
    if {stem(w) for w in phrase.split()} <= named:
        return reason.name
    return f"{reason.name} / {shown}"


def surface_forms(texts: Sequence[str], words: set[str]) -> dict[str, str]:
    """How `texts` most often write each of `words` when that is neither lower case nor a sentence's
    capital ("iOS", "iPhone", "TV", "PS4"): names are shown as customers write them.

    >>> surface_forms(["my iPhone and iOS", "iphone", "new iPhone", "Ios broke"], {"iphone", "ios", "new"})
    {'iphone': 'iPhone', 'ios': 'iOS'}
    """
    from collections import Counter

    counts: dict[str, Counter] = {}
    for text in texts:
        for word in _WORD.findall(text.translate(_APOSTROPHES)):
            low = word.lower().replace("'", "")
            if low in words:
                counts.setdefault(low, Counter())[word] += 1
    best = {low: forms.most_common(1)[0][0] for low, forms in counts.items()}
    return {low: form for low, form in best.items() if any(c.isupper() for c in form[1:])}


def unique_labels(labels: Sequence[str], keywords: Sequence[Sequence[str]]) -> list[str]:
    """Disambiguate equal labels with the new words of the first keyword that adds any.

    >>> unique_labels(["Refund", "Refund"], [["refund", "ticket refund"], ["refund", "voucher"]])
    ['Refund (ticket)', 'Refund (voucher)']
    >>> unique_labels(["Flight experience", "Flight experience"], [["flights", "crew"], ["crew", "wifi"]])
    ['Flight experience (crew)', 'Flight experience (wifi)']
    """
    out = list(labels)
    seen: dict[str, list[int]] = {}
    for i, label in enumerate(out):
        seen.setdefault(label.lower(), []).append(i)
    for idxs in seen.values():
        if len(idxs) < 2:
            continue
        taken: set[str] = set()
        for n, i in enumerate(idxs):
            # A plural adds nothing to its singular: "Flight experience (flights)" says no more.
            words = {stem(w) for w in re.findall(r"\w+", out[i].lower())} | {stem(w) for t in taken for w in t.split()}
            new = (" ".join(w for w in k.split() if stem(w) not in words) for k in keywords[i])
            extra = next((k for k in new if k), None)
            if extra:
                taken.add(extra)
            out[i] = f"{out[i]} ({extra})" if extra else f"{out[i]} ({n + 1})"
    return out
