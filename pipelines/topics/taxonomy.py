"""The business-owned taxonomy: a YAML or TOML file an analyst edits (see docs/taxonomy.example.yaml).

- `rename`: {topic_id: "New name"}; `merge`: {target_id: [ids merged into it]};
- `parents`: {topic_id: "Reason name"} to move a sub-reason under a named reason;
- `pin`: [topic ids] kept on every re-fit even when the new fit finds nothing close to them;
- `rules`: keyword / regex rules that take precedence over the model (`topic_source = 'rule'`).
Everything is keyed by topic id, and ids are stable across re-fits (matching.py), so the file
survives re-fits.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.errors import UserError
from pipelines.topics.hierarchy import PARENT_OFFSET

RULE_ID_MIN = 10_000  # rule topics live above every fitted id


class TaxonomyError(UserError, ValueError):
    """The taxonomy file cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Rule:
    id: int
    label: str
    pattern: re.Pattern
    parent: str | None = None


@dataclass
class Taxonomy:
    rename: dict[int, str] = field(default_factory=dict)
    merge: dict[int, int] = field(default_factory=dict)  # merged id -> target id
    parents: dict[int, str] = field(default_factory=dict)
    pin: list[int] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    digest: str = ""

    def topic_id(self, topic_id: int) -> int:
        return self.merge.get(topic_id, topic_id)


def load_taxonomy(path: str | Path | None) -> Taxonomy:
    """Read the file (empty path = no taxonomy); errors name the file and the bad entry."""
    if not path:
        return Taxonomy()
    path = Path(path)
    if not path.exists():
        raise TaxonomyError(f"taxonomy file {path} not found; fix [topics] taxonomy in voc.toml")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text) or {}
    except Exception as exc:  # both parsers raise their own error types
        raise TaxonomyError(f"taxonomy file {path} is not valid {path.suffix[1:].upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise TaxonomyError(f"taxonomy file {path}: the top level must be a mapping (rename:, merge:, rules: ...)")
    tax = Taxonomy(digest=hashlib.sha1(text.encode()).hexdigest()[:12])
    try:
        tax.rename = {int(k): str(v) for k, v in (data.get("rename") or {}).items()}
        tax.parents = {int(k): str(v) for k, v in (data.get("parents") or {}).items()}
        tax.pin = [int(i) for i in (data.get("pin") or [])]
        for target, sources in (data.get("merge") or {}).items():
            for source in sources:
                tax.merge[int(source)] = int(target)
    except (TypeError, ValueError, AttributeError) as exc:
        raise TaxonomyError(f"taxonomy file {path}: topic ids must be integers ({exc}); see docs/taxonomy.example.yaml") from exc
    for n, rule in enumerate(data.get("rules") or [], start=1):
        tax.rules.append(_rule(rule, n, path))
    return tax


def _rule(rule: dict, n: int, path: Path) -> Rule:
    where = f"taxonomy file {path}, rule #{n}"
    if not isinstance(rule, dict) or "label" not in rule:
        raise TaxonomyError(f"{where}: needs a label, e.g. {{label: Fraud, keywords: [fraud, scam]}}")
    rid = int(rule.get("id", RULE_ID_MIN + n))
    if rid < RULE_ID_MIN:
        raise TaxonomyError(f"{where}: rule ids must be >= {RULE_ID_MIN} so they never collide with fitted topics")
    parts = [re.escape(k) for k in rule.get("keywords") or []]
    if rule.get("regex"):
        parts.append(str(rule["regex"]))
    if not parts:
        raise TaxonomyError(f"{where} ({rule['label']}): give keywords: [...] or regex: '...'")
    # Keywords match whole words, case-insensitively; a regex is used as written (with IGNORECASE).
    pattern = "|".join(f"\\b{p}\\b" if i < len(rule.get("keywords") or []) else p for i, p in enumerate(parts))
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise TaxonomyError(f"{where} ({rule['label']}): bad regex {rule.get('regex')!r}: {exc}") from exc
    return Rule(rid, str(rule["label"]), compiled, rule.get("parent"))


def apply_rules(tax: Taxonomy, texts: list[str]) -> np.ndarray:
    """Rule topic id per text (first matching rule wins), or 0 where no rule matches."""
    out = np.zeros(len(texts), dtype=np.int64)
    for rule in reversed(tax.rules):  # reversed so the first rule in the file wins
        for i, text in enumerate(texts):
            if text and rule.pattern.search(text):
                out[i] = rule.id
    return out


def topic_rows(model, tax: Taxonomy) -> list[dict]:
    """The model's topics after renames, merges, parents and rules: rows of enriched.topics."""
    rows: dict[int, dict] = {}
    for topic in model.topics:
        target = tax.topic_id(topic["id"])
        if target != topic["id"] and target in model.ids:
            continue  # merged away: its volume shows under the target
        row = dict(topic)
        row["label"] = tax.rename.get(topic["id"], topic["label"])
        rows[topic["id"]] = row
    for tid, name in tax.parents.items():
        if tid in rows:
            rows[tid]["parent_label"] = name
            rows[tid]["parent_id"] = _named_parent_id(name)
    for rule in tax.rules:
        rows[rule.id] = {"id": rule.id, "label": rule.label, "keywords": [], "representative_texts": [], "size": 0,
                         "parent_id": _named_parent_id(rule.parent) if rule.parent else PARENT_OFFSET + rule.id,
                         "parent_label": rule.parent or rule.label}
    # Parents named in the file gather every topic of that name under one id.
    return sorted(rows.values(), key=lambda r: r["id"])


def _named_parent_id(name: str) -> int:
    """A stable id for an analyst-named reason (depends only on the name)."""
    return 100_000 + int(hashlib.md5(name.lower().encode()).hexdigest()[:6], 16) % 900_000


def carry_pins(model, previous, tax: Taxonomy) -> None:
    """Keep pinned topics of the previous version that the new fit did not match."""
    if previous is None:
        return
    for tid in tax.pin:
        if tid in model.ids or tid not in previous.ids:
            continue
        row = previous.ids.index(tid)
        model.ids.append(tid)
        model.centroids = np.vstack([model.centroids, previous.centroids[row : row + 1]])
        model.topics.append({**previous.topic(tid), "size": 0})
