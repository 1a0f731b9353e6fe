"""The demo's Polish and Chinese texts say the contact's planted reason, in its mood."""

import numpy as np

from pipelines.demo import languages
from pipelines.demo.reasons import CATALOGUE


def test_every_reason_has_a_phrase_in_every_language():
    keys = {r.key for r in CATALOGUE}
    for code in languages.SHARES:
        assert set(languages.PHRASES[code]) == keys


def test_foreign_text_follows_the_planted_reason_and_keeps_the_mood():
    rng = np.random.default_rng(3)
    n = 600
    reason = rng.integers(len(CATALOGUE), size=n)
    praise = reason == next(i for i, r in enumerate(CATALOGUE) if r.key == "praise")
    mood = languages.moods(rng.random(n) < 0.5, praise)
    language = np.asarray(["pl", "zh", "en"], dtype=object)[np.arange(n) % 3]
    out = languages.phrases(language, reason, mood, rng)
    about = languages.phrase_reasons()
    angry = {code: tuple(t for t in tails["negative"]) for code, tails in languages.TAILS.items()}
    for i in range(n):
        if language[i] == "en":
            assert out[i] == ""
            continue
        said = [p for p in languages.PHRASES[language[i]][CATALOGUE[reason[i]].key] if out[i].startswith(p)]
        assert said and about[said[0]] == CATALOGUE[reason[i]].key
        assert out[i].endswith(angry[language[i]]) == (mood[i] == "negative")
