"""Each PII type and each decoy class, in the forms people type them (en/de/fr/es/pl/zh)."""

from __future__ import annotations

import pytest

from pipelines.redact import find_pii, redact


def _kinds(text: str, regions: tuple[str, ...] = ()) -> list[str]:
    return [kind for _, _, kind in find_pii(text, regions)]


@pytest.mark.parametrize("text, expected", [
    ("reach me at tom dot baker at outlook dot com", "reach me at [EMAIL]"),
    ("email: sarah.k [at] protonmail [dot] com thanks", "email: [EMAIL] thanks"),
    ("send it to  accounts @ smithandsons.com please", "send it to  [EMAIL] please"),
    ("escríbeme a lucia punto fernandez arroba gmail punto com", "escríbeme a [EMAIL]"),
    ("piszcie na marek.zielinski[małpa]o2.pl", "piszcie na [EMAIL]"),
    ("cc me at rob.hale at gmail.com", "cc me at [EMAIL]"),
    ("邮箱：li.na（at）qq.com", "邮箱：[EMAIL]"),
    ("please email me at jo.roe2010@hotmail.com. willing to talk", "please email me at [EMAIL]. willing to talk"),
])
def test_obfuscated_emails(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "I looked at google.com and at amazon.com first",
    "@AmazonHelp thanks @delta. Me again",
    "we are at home. Then we left",
    "@JetBlue at what point in delays can I get a refund",
    "Redcard members only at Target dot com at 7 AM",
])
def test_words_at_and_handles_are_not_emails(text: str) -> None:
    assert "EMAIL" not in _kinds(text)


@pytest.mark.parametrize("text, number", [
    ("Mój numer telefonu: 600123456", "600123456"),
    ("komórka 781234567, po 16", "781234567"),
    ("Handy: 0151 23456789", "0151 23456789"),
    ("joignable au 0612345678 le soir", "0612345678"),
    ("我的手机号是13812345678，请尽快联系", "13812345678"),
    ("办公室电话 010-65529988", "010-65529988"),
    ("The caller ID showed 866-555-0101", "866-555-0101"),
    ("96430-43691 is my cell", "96430-43691"),
    ("zadzwoń pod 030 16835244", "030 16835244"),
    ("Our customer service reps at 800-892-4357 can help", "800-892-4357"),
])
def test_phones_by_language_and_cue(text: str, number: str) -> None:
    assert redact(text) == text.replace(number, "[PHONE]")


def test_region_hint_reads_a_national_number_without_cue() -> None:
    text = "office 0612345678"  # a French mobile in a text that reads English
    assert redact(text) == text
    assert redact(text, regions=("FR",)) == "office [PHONE]"


@pytest.mark.parametrize("text, number", [
    ("full number is 5533.8158.2460.2169", "5533.8158.2460.2169"),
    ("card: 4111-1111 1111-1111", "4111-1111 1111-1111"),
    ("diners club 3617 607856 5484", "3617 607856 5484"),
    ("visa 4876 7556 9746 4520 245", "4876 7556 9746 4520 245"),
])
def test_cards_with_any_separators(text: str, number: str) -> None:
    assert redact(text) == text.replace(number, "[CARD]")


@pytest.mark.parametrize("text, number", [
    ("Konto DE 21 4582 2842 0119 5014 36 (Sparkasse)", "DE 21 4582 2842 0119 5014 36"),
    ("nr rachunku PL34-3688-5790-3675-1412-3023-4772", "PL34-3688-5790-3675-1412-3023-4772"),
    ("iban gb36 otpc 9274 9706 6059 57", "gb36 otpc 9274 9706 6059 57"),
])
def test_ibans_with_spaces_dashes_and_lower_case(text: str, number: str) -> None:
    assert redact(text) == text.replace(number, "[IBAN]")


@pytest.mark.parametrize("text, number", [
    ("PESEL: 57082770376", "57082770376"),
    ("NIP 294-555-28-53", "294-555-28-53"),
    ("身份证号：11010519491231002X", "11010519491231002X"),
    ("mi NIE es X7111229C", "X7111229C"),
    ("NIR : 282051412583817", "282051412583817"),
    ("Steuer-ID 36 574 261 809", "36 574 261 809"),
    ("social: 532427862", "532427862"),
    ("my NI number is AB123456C", "AB123456C"),
])
def test_national_ids_are_typed_ssn(text: str, number: str) -> None:
    assert redact(text) == text.replace(number, "[SSN]")


def test_a_valid_pesel_without_its_cue_is_an_id_not_a_phone() -> None:
    assert _kinds("Dane: 76030255996, dziękuję") == ["SSN"]


@pytest.mark.parametrize("text, street", [
    ("the package went to 1420 Larkin, San Francisco, CA 94109 instead", "1420 Larkin, San Francisco, CA 94109"),
    ("mail goes to P.O. Box 1022 now", "P.O. Box 1022"),
    ("Ich wohne Am Markt 3 in Bremen", "Am Markt 3"),
    ("bitte an Berliner Str. 45, 60311 Frankfurt schicken", "Berliner Str. 45"),
    ("envoyez au 8 impasse des lilas 69003 Lyon", "8 impasse des lilas"),
    ("envíenlo a C/ Alcalá 42, 3º B", "C/ Alcalá 42"),
    ("Postfach 10 02 45, 50442 Köln", "Postfach 10 02 45"),
    ("寄到上海市浦东新区世纪大道100号", "世纪大道100号"),
])
def test_addresses_of_several_countries(text: str, street: str) -> None:
    spans = [(s, e) for s, e, k in find_pii(text) if k == "ADDRESS"]
    start = text.index(street)
    assert any(s <= start and start + len(street) <= e for s, e in spans), spans


@pytest.mark.parametrize("text", [
    # tracking, EAN, IMEI, order / contract / customer numbers
    "My FedEx tracking number is 7712 3456 7890 and it hasn't moved",
    "UPS says 1Z999AA10123456784 is out for delivery",
    "barcode 5901234123457 on the box",
    "IMEI 356938035643809 was blocked",
    "order number 4155550123 was cancelled",
    "contract number 7788-2231-0094 ends in May",
    "Kundennummer 1002345678",
    "numer klienta 601234567",
    "订单号 202403151234567 还没发货",
    # flights, dates, times, prices, IP addresses, versions
    "Flight LH 2345 on 12.03.2024",
    "logs: 2017-10-31 15:13:47.123456 ERROR",
    "at 15:13:1509462827 the server restarted",
    "Tue Oct 31 22:10:47 +0000 2017",
    "the total was 12345678.90 USD",
    "Betrag: 1.234,56 € statt 999,00 €",
    "from IP 10.0.0.12 and 172.16.254.1",
    "version 10.0.19045.3803 of Windows",
    "I waited 3 hours on the way home",
    "yep. 99.99999999% certain it was",
    "Incident: 150202-000419 Thank you!",
    "15 U.S.C. section 1681 and following",
    "hold music is a 2 min loop",
    "Im Jahr 2024 habe ich bestellt",
])
def test_decoys_stay_readable(text: str) -> None:
    assert redact(text) == text
