"""A share of the demo's email and social customers write in Polish or Chinese.

So the dashboard shows what the multilingual route (`pipelines.models.multilingual`) scores: each
such contact's customer text is one phrase of its mood (angry, neutral request, praise) in its
language. Picked with their own random stream, so the English contacts are the same as without them.
"""

from __future__ import annotations

import numpy as np

# Share of email and social contacts per language.
SHARES = {"pl": 0.03, "zh": 0.02}
GREETING = {"pl": "Dzień dobry,", "zh": "您好，"}

PHRASES = {
    "pl": {
        "negative": (
            "Drugi raz pobraliście opłatę za ten sam miesiąc i nikt nie oddzwania. Jestem bardzo zła.",
            "Internet nie działa od trzech dni, a na infolinii czekałem godzinę. To skandal.",
            "Zamówiłem nowy telefon dwa tygodnie temu i nadal nic nie przyszło. Mam dość.",
            "Rachunek jest dwa razy wyższy niż zwykle i nikt nie potrafi tego wyjaśnić.",
            "Obiecaliście zwrot pieniędzy miesiąc temu. Nadal czekam, to żenujące.",
        ),
        "neutral": (
            "Jak mogę zmienić adres e-mail przypisany do mojego konta?",
            "Proszę o przesłanie kopii ostatniej faktury.",
            "Chciałbym przenieść swój numer do nowej umowy. Co muszę zrobić?",
            "Do kiedy muszę zapłacić rachunek za ten miesiąc?",
        ),
        "positive": (
            "Dziękuję bardzo, konsultantka szybko rozwiązała mój problem!",
            "Świetna obsługa, wszystko działa. Dziękuję za pomoc.",
            "Bardzo miły pan na czacie, sprawa załatwiona w pięć minut.",
        ),
    },
    "zh": {
        "negative": (
            "同一个月被扣了两次费，打了三次电话都没人处理，太让人生气了。",
            "网络已经断了三天，客服一直让我等，服务太差了。",
            "两周前订的手机到现在还没到，也没人给我解释，非常失望。",
            "这个月的账单比平时高了一倍，客服根本说不清楚。",
            "说好的退款一个月了还没到账，真是太差劲了。",
        ),
        "neutral": (
            "请问怎么修改我账户绑定的邮箱？",
            "麻烦把上个月的发票发给我一份。",
            "我想把号码转到新的套餐，需要怎么办理？",
            "这个月的账单最晚什么时候要付？",
        ),
        "positive": (
            "非常感谢，客服很快就帮我解决了问题！",
            "服务很好，现在一切正常，谢谢你们的帮助。",
            "在线客服态度特别好，五分钟就处理好了。",
        ),
    },
}

# What each phrase is about, as the demo's reason key (`pipelines.demo.reasons`), position by position
# in `PHRASES` (the Polish and Chinese phrases say the same things); None: no demo reason says it
# (a copy of an invoice). The phrases follow the contact's mood, not its planted reason, so
# `make eval-analytics` checks a contact's reason against its phrase's.
PHRASE_REASONS = {
    "negative": ("billing_double_charge", "service_outage", "delivery_late", "billing_unexpected_fee",
                 "billing_refund_status"),
    "neutral": ("account_update_details", None, "plan_change", "payment_arrangement"),
    "positive": ("praise", "praise", "praise"),
}


def phrase_reasons() -> dict[str, str | None]:
    """Each phrase (any language) -> the demo reason key it is about (see `PHRASE_REASONS`)."""
    return {phrase: key for by_mood in PHRASES.values() for mood, pool in by_mood.items()
            for phrase, key in zip(pool, PHRASE_REASONS[mood], strict=True)}


def pick_languages(n: int, rng: np.random.Generator) -> np.ndarray:
    """Each of `n` contacts' language: "en", or "pl"/"zh" at their `SHARES`."""
    u = rng.random(n)
    out = np.full(n, "en", dtype=object)
    edge = 0.0
    for code, share in SHARES.items():
        out[(u >= edge) & (u < edge + share)] = code
        edge += share
    return out


def phrases(language: np.ndarray, mood: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One phrase per contact in its `language` and `mood` ("negative", "neutral", "positive");
    "" where the language is English."""
    out = np.full(len(language), "", dtype=object)
    for code, by_mood in PHRASES.items():
        for name, pool in by_mood.items():
            rows = np.flatnonzero((language == code) & (mood == name))
            out[rows] = np.asarray(pool, dtype=object)[rng.integers(len(pool), size=len(rows))]
    return out


def moods(negative: np.ndarray, praise: np.ndarray) -> np.ndarray:
    """The mood of each contact's customer text: praise positive, else negative or neutral."""
    return np.where(praise, "positive", np.where(negative, "negative", "neutral")).astype(object)
