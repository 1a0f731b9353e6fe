"""Every example and counter-example kept beside the patterns in pipelines/redact/patterns.toml."""

from __future__ import annotations

import pytest

from pipelines.redact import find_pii, redact
from pipelines.redact.rules import patterns

_TYPE = {"email": "EMAIL", "phone": "PHONE", "card": "CARD", "iban": "IBAN", "address": "ADDRESS"}


def _examples(key: str) -> list[tuple[str, str]]:
    rules = patterns()
    out = [(_TYPE[section], text) for section in _TYPE for text in rules[section].get(key, [])]
    out += [("SSN", text) for fam in rules["national_id"] for text in fam.get(key, [])]
    return out


@pytest.mark.parametrize("kind, text", _examples("examples"))
def test_pattern_examples_are_redacted_with_their_type(kind: str, text: str) -> None:
    assert kind in {k for _, _, k in find_pii(text)}, (text, find_pii(text))


@pytest.mark.parametrize("kind, text", _examples("keep"))
def test_pattern_counter_examples_stay(kind: str, text: str) -> None:
    assert redact(text) == text


def test_every_section_has_examples() -> None:
    rules = patterns()
    assert all(rules[section]["examples"] for section in _TYPE)
    assert all(fam["examples"] for fam in rules["national_id"])
