"""Rulesets: loading from dicts, text and files; decisions; filter()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import battlescope as bs
from conftest import RULESETS

WORMHOLE = RULESETS / "wormhole-fights.json"


@pytest.fixture(scope="module")
def wormhole() -> bs.Ruleset:
    return bs.Ruleset.from_file(WORMHOLE)


def test_every_format_gives_the_same_decisions(examples: bs.KillmailSet) -> None:
    rulesets = [bs.Ruleset.from_file(RULESETS / f"wormhole-fights.{ext}") for ext in ("json", "yaml", "toml")]
    rulesets.append(bs.Ruleset.from_dict(json.loads(WORMHOLE.read_text())))
    rulesets.append(bs.Ruleset.from_text((RULESETS / "wormhole-fights.yaml").read_text(), "yaml"))
    decisions = [[r.evaluate(km) for km in examples] for r in rulesets]
    assert all(d == decisions[0] for d in decisions)
    assert {r.name for r in rulesets} == {"wormhole fights"}
    assert rulesets[0].to_dict() == rulesets[3].to_dict()


def test_decisions(wormhole: bs.Ruleset, examples: bs.KillmailSet) -> None:
    decisions = [wormhole.evaluate(km) for km in examples]
    accepted = [d for d in decisions if d]
    rejected = [d for d in decisions if not d]
    assert accepted and rejected
    for d in accepted:
        assert d.accepted and d.rule is None and d.reason is None
        assert d.to_dict() == {"decision": "accept"}
    for d in rejected:
        assert not d.accepted and d.rule and d.value is not None and d.reason
        assert d.to_dict()["rule"] == d.rule
    # The 2019 ESI killmail has no zKillboard value: the ISK bound cannot be
    # checked, and `unknown_value: reject` is the first rule that fires.
    no_value = wormhole.evaluate(next(k for k in examples if k.killmail_id == 78560358))
    assert no_value.rule == "unknown_value"
    assert "unknown_value" in repr(no_value)
    assert wormhole.accepts(examples[0]) == bool(wormhole.evaluate(examples[0]))


def test_evaluate_takes_any_killmail_form(wormhole: bs.Ruleset, examples: bs.KillmailSet) -> None:
    km = examples[10]
    assert wormhole.evaluate(km) == wormhole.evaluate(km.to_dict()) == wormhole.evaluate(km.to_json())


def test_filter(wormhole: bs.Ruleset, examples: bs.KillmailSet) -> None:
    kept = bs.filter(examples, wormhole)
    expected = [k.killmail_id for k in examples if wormhole.accepts(k)]
    assert kept.killmail_ids == expected
    decisions = [wormhole.evaluate(k) for k in examples]
    rejected: dict[str, int] = {}
    for d in decisions:
        if d.rule:
            rejected[d.rule] = rejected.get(d.rule, 0) + 1
    assert kept.rejected == rejected
    assert kept.report["records"] == len(examples)
    assert examples.rejected == {}
    # Filtered sets cluster like any other.
    assert all(b.security_class == "wormhole" for b in bs.cluster(kept))
    assert len(bs.filter(examples.to_dicts(), bs.Ruleset())) == len(examples)


def test_bad_rulesets_name_the_field(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"min_pilot": 3}, "min_pilot"),
        ({"include": {"security_classes": ["wormhole", "deep_space"]}}, "include.security_classes[1]"),
        ({"min_isk": 10, "max_isk": 5}, None),
    ]
    for doc, field in cases:
        with pytest.raises(bs.ConfigError) as e:
            bs.Ruleset.from_dict(doc)
        if field:
            assert e.value.field == field, doc
    with pytest.raises(bs.ConfigError):
        bs.Ruleset.from_text("min_pilots = 'x'", "toml")
    with pytest.raises(bs.ConfigError):
        bs.Ruleset.from_text("{}", "xml")
    bad = tmp_path / "rules.ini"
    bad.write_text("")
    with pytest.raises(bs.FormatError):
        bs.Ruleset.from_file(bad)
    with pytest.raises(bs.ReadError):
        bs.Ruleset.from_file(tmp_path / "missing.yaml")


def test_empty_ruleset_and_schema(examples: bs.KillmailSet) -> None:
    empty = bs.Ruleset()
    assert all(empty.evaluate(k) for k in examples)
    assert "accepts everything" in repr(empty)
    schema = bs.Ruleset.json_schema()
    assert schema["type"] == "object" and "min_pilots" in schema["properties"]


def test_rulesets_pickle(wormhole: bs.Ruleset, examples: bs.KillmailSet) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(wormhole))
    assert copy.to_dict() == wormhole.to_dict()
    assert [copy.evaluate(k) for k in examples] == [wormhole.evaluate(k) for k in examples]
