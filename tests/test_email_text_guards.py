"""split_reply's pre-scans (a header block's first line, a line ending in a colon) only skip
patterns that could not match: the split is the same with them off."""

from __future__ import annotations

import re

import pytest

from pipelines.ingest import email_text

HEADERS = [
    "On Mon, 4 Mar 2024 at 09:00, Acme Support <help@acme.com> wrote:",
    "On Mon, 4 Mar 2024 at 09:00, Acme Support\n<help@acme.com> wrote:",
    "Am Mo., 4. März 2024 um 09:00 Uhr schrieb Acme <help@acme.com>:",
    "Jo Smith <jo@x.org> schrieb am Mo., 4. März 2024, 09:00:",
    "Dne 4. 3. 2024 9:00 napsal(a) Acme <help@acme.com>:",
    "Den 4. mar. 2024 kl. 09.00 skrev Acme <help@acme.com>:",
    "El lun, 4 mar 2024 a las 9:00, Acme (<help@acme.com>) escribió:",
    "Le lun. 4 mars 2024 à 09:00, Acme <help@acme.com> a écrit :",
    "Il giorno lun 4 mar 2024 alle ore 09:00 Acme <help@acme.com> ha scritto:",
    "2024年3月4日(月) 9:00 Acme <help@acme.com>:",
    "2024년 3월 4일 (월) 오전 9:00, Acme <help@acme.com>님이 작성하였습니다:",
    "Op ma 4 mrt 2024 om 09:00 schreef Acme <help@acme.com>:",
    "W dniu 4.03.2024 o 09:00, Acme pisze:",
    "Dnia 4.03.2024 o 09:00 Acme napisał(a):",
    "04.03.2024 9:00, Acme пишет:",
    '02.04.2012 14:20 пользователь "bob@x" <bob@x> написал:',
    "--- On Mon, 4/2/12, bob <bob@x> wrote:",
    "Acme <x@y> 于2024年3月4日周一 09:00写道：",
    "-----Original Message-----\nFrom: Acme\nSent: Monday\nTo: Jo\nSubject: Re: bill",
    "From: Acme Support\nSent: Monday, March 4, 2024 9:00 AM\nTo: Jo\nSubject: RE: bill",
    "Von: Acme\nGesendet: Montag, 4. März 2024 09:00\nAn: Jo\nBetreff: AW: Rechnung",
    "De : Acme\nEnvoyé : lundi 4 mars 2024 09:00\nÀ : Jo\nObjet : RE: facture",
    "Od: Acme\nWysłano: poniedziałek\nDo: Jo\nTemat: Odp: rachunek",
    "发件人: Acme\n发送时间: 2024年3月4日\n收件人: Jo\n主题: 回复: 账单",
    "-------- Ursprüngliche Nachricht --------",
    "---------- Forwarded message ---------",
    "Begin forwarded message:",
    "Data: wtorek",
]
NEW = "My bill is still wrong, please call me.\n\nThanks,\nJo"


def _bodies() -> list[str]:
    out = [NEW, "Hello\nno colon anywhere here", "Note: see below\n> quoted"]
    for header in HEADERS:
        out.append(f"{NEW}\n\n{header}\n> Fixed it.\n> Acme")          # attribution of a > quote
        out.append(f"{NEW}\n\n{header}\n\nFixed it.\nAcme")             # the original pasted below
        out.append(f"> Is it fixed?\n{header}\n> Yes.\nNo, it is not.")  # inline, header in the middle
    return out


@pytest.mark.parametrize("body", _bodies())
def test_the_split_is_the_same_with_the_pre_scans_off(body: str, monkeypatch) -> None:
    guarded = email_text.split_reply(body)
    always = re.compile(r"(?s).?")  # matches every text: every pattern runs
    monkeypatch.setattr(email_text, "_block_guard", lambda: (always, frozenset()))
    monkeypatch.setattr(email_text, "_COLON_LINE_RE", always)
    assert guarded == email_text.split_reply(body)
