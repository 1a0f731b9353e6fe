"""A share of the demo's email and social customers write in Polish or Chinese.

So the dashboard shows what the multilingual route (`pipelines.models.multilingual`) scores and the
contact reasons found across languages can be checked against what was planted: each such contact's
customer text says its planted reason (`pipelines.demo.reasons`) in its language, with a tail of its
mood (angry or calm; praise is its own reason). Picked with their own random stream, so the English
contacts are the same as without them.
"""

from __future__ import annotations

import numpy as np

from pipelines.demo.reasons import CATALOGUE

# Share of email and social contacts per language.
SHARES = {"pl": 0.03, "zh": 0.02}
GREETING = {"pl": "Dzień dobry,", "zh": "您好，"}

# Per demo reason key, what a customer says about it (the Polish and Chinese phrases say the same).
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "pl": {
        "billing_double_charge": ("Pobraliście opłatę dwa razy za ten sam rachunek w tym miesiącu.",),
        "billing_unexpected_fee": ("Na rachunku jest opłata, na którą się nie zgadzałem. Co to za opłata?",),
        "billing_refund_status": ("Nadal czekam na zwrot pieniędzy, który obiecaliście miesiąc temu.",),
        "delivery_late": ("Moje zamówienie nadal nie dotarło, choć minęły dwa tygodnie.",),
        "delivery_damaged": ("Router przyszedł uszkodzony, obudowa jest pęknięta.",),
        "delivery_wrong_item": ("Dostałem niewłaściwy produkt, zamawiałem coś innego.",),
        "account_login_failure": ("Nie mogę zalogować się do swojego konta na stronie.",),
        "account_password_reset": ("Muszę zresetować hasło, link do resetu nie działa.",),
        "account_update_details": ("Jak mogę zmienić adres e-mail przypisany do mojego konta?",),
        "plan_change": ("Chciałbym zmienić swój plan na większy pakiet danych.",),
        "cancellation": ("Chcę wypowiedzieć umowę i zrezygnować z waszych usług.",),
        "service_outage": ("Internet nie działa od trzech dni.",),
        "device_setup": ("Nie mogę skonfigurować nowego routera, jak to zrobić?",),
        "roaming": ("Mój telefon nie działa za granicą, w Hiszpanii nie mam zasięgu.",),
        "payment_arrangement": ("Nie mogę zapłacić rachunku w tym miesiącu, czy mogę rozłożyć płatność?",),
        "complaint_agent": ("Chcę złożyć skargę na konsultanta, z którym rozmawiałem.",),
        "praise": ("Dziękuję bardzo, konsultantka szybko rozwiązała mój problem!",
                   "Świetna obsługa, wszystko działa. Dziękuję za pomoc.",
                   "Bardzo miły pan na czacie, sprawa załatwiona w pięć minut."),
        "sim_activation": ("Moja nowa karta SIM nie działa.",),
    },
    "zh": {
        "billing_double_charge": ("这个月同一张账单被扣了两次费。",),
        "billing_unexpected_fee": ("账单上有一笔我从没同意过的费用，这是什么费？",),
        "billing_refund_status": ("说好的退款一个月了还没到账。",),
        "delivery_late": ("我两周前下的订单到现在还没送到。",),
        "delivery_damaged": ("收到的路由器是坏的，外壳都裂了。",),
        "delivery_wrong_item": ("我收到的商品不对，不是我订的那个。",),
        "account_login_failure": ("我在网站上登录不了我的账户。",),
        "account_password_reset": ("我需要重置密码，重置链接打不开。",),
        "account_update_details": ("请问怎么修改我账户绑定的邮箱？",),
        "plan_change": ("我想把套餐升级到流量更多的套餐。",),
        "cancellation": ("我想取消合同，不再使用你们的服务。",),
        "service_outage": ("网络已经断了三天了。",),
        "device_setup": ("新的路由器我不会设置，应该怎么弄？",),
        "roaming": ("我的手机在国外用不了，在西班牙没有信号。",),
        "payment_arrangement": ("这个月的账单我付不起，可以分期付款吗？",),
        "complaint_agent": ("我要投诉上次跟我通话的那个客服。",),
        "praise": ("非常感谢，客服很快就帮我解决了问题！",
                   "服务很好，现在一切正常，谢谢你们的帮助。",
                   "在线客服态度特别好，五分钟就处理好了。"),
        "sim_activation": ("我的新SIM卡用不了。",),
    },
}

# The mood's tail after the reason's phrase ("" for none).
TAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "pl": {"negative": (" To skandal.", " Jestem bardzo zła.", " Mam dość, nikt nie oddzwania."),
           "neutral": ("", " Proszę o informację."), "positive": ("",)},
    "zh": {"negative": ("太让人生气了。", "服务太差了，非常失望。", "打了三次电话都没人处理。"),
           "neutral": ("", "麻烦告诉我一下。"), "positive": ("",)},
}


def phrase_reasons() -> dict[str, str]:
    """Each phrase (any language, without its mood's tail) -> the demo reason key it says."""
    return {phrase: key for by_reason in PHRASES.values() for key, pool in by_reason.items() for phrase in pool}


def pick_languages(n: int, rng: np.random.Generator) -> np.ndarray:
    """Each of `n` contacts' language: "en", or "pl"/"zh" at their `SHARES`."""
    u = rng.random(n)
    out = np.full(n, "en", dtype=object)
    edge = 0.0
    for code, share in SHARES.items():
        out[(u >= edge) & (u < edge + share)] = code
        edge += share
    return out


def phrases(language: np.ndarray, reason: np.ndarray, mood: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One text per contact in its `language` saying its planted `reason` (index into
    `reasons.CATALOGUE`), with a tail of its `mood` ("negative", "neutral", "positive"); "" where the
    language is English."""
    keys = np.asarray([r.key for r in CATALOGUE], dtype=object)[reason]
    out = np.full(len(language), "", dtype=object)
    for code, by_reason in PHRASES.items():
        for key, pool in by_reason.items():
            rows = np.flatnonzero((language == code) & (keys == key))
            out[rows] = np.asarray(pool, dtype=object)[rng.integers(len(pool), size=len(rows))]
        for name, tails in TAILS[code].items():
            rows = np.flatnonzero((language == code) & (mood == name))
            out[rows] = out[rows] + np.asarray(tails, dtype=object)[rng.integers(len(tails), size=len(rows))]
    return out


def moods(negative: np.ndarray, praise: np.ndarray) -> np.ndarray:
    """The mood of each contact's customer text: praise positive, else negative or neutral."""
    return np.where(praise, "positive", np.where(negative, "negative", "neutral")).astype(object)
