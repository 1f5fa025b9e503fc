"""cluster(): battles, parameters, documents (to_dict vs the JSON Schema),
and the GIL released while it runs."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import threading
import time
from pathlib import Path

import pytest

import battlescope as bs
from conftest import SCHEMAS


def test_battles_of_the_examples(example_battles: list[bs.Battle]) -> None:
    assert len(example_battles) == 8
    starts = [b.start_time for b in example_battles]
    assert starts == sorted(starts)
    for b in example_battles:
        assert b.stats.kill_count == len(b.killmail_ids) == len(b) >= 2
        assert b.security_class == "wormhole"
        assert b.start_time <= b.end_time
        assert b.duration_seconds == (b.end_time - b.start_time).total_seconds()
        assert b.start_time.tzinfo == dt.timezone.utc
        assert b.sides and b.sides[0].index == 0
        assert b.zkillboard_url.startswith("https://zkillboard.com/related/")


def test_attributes_agree_with_the_document(example_battles: list[bs.Battle]) -> None:
    for b in example_battles:
        d = b.to_dict()
        assert d == json.loads(b.to_json())
        assert d["id"] == b.id
        assert d["systemId"] == b.system_id
        assert d["systemName"] == b.system_name
        assert d["regionId"] == b.region_id
        assert d["securityClass"] == b.security_class
        assert d["killmailIds"] == b.killmail_ids
        assert d["durationSeconds"] == b.duration_seconds
        assert dt.datetime.fromisoformat(d["startTime"]) == b.start_time
        assert d["stats"] == b.stats.to_dict()
        assert d["stats"]["killCount"] == b.stats.kill_count
        assert d["stats"]["iskDestroyed"] == b.stats.isk_destroyed
        assert d["stats"]["shipsLost"] == b.stats.ships_lost
        assert d["stats"]["killsPerMinute"] == b.stats.kills_per_minute
        assert [s.to_dict() for s in b.sides] == d["sides"]
        for s, sd in zip(b.sides, d["sides"]):
            assert (s.pilots, s.alliances, s.kills, s.losses) == (
                sd["pilots"],
                sd["alliances"],
                sd["kills"],
                sd["losses"],
            )
            assert s.efficiency == sd["efficiency"]
        assert d["zkillboardUrl"] == b.zkillboard_url


def test_documents_match_the_battle_json_schema(example_battles: list[bs.Battle]) -> None:
    schema_path = SCHEMAS / "battle.schema.json"
    if not schema_path.exists():
        pytest.skip("schemas/battle.schema.json is not generated yet")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    for b in example_battles:
        validator.validate(b.to_dict())


def test_parameters_change_the_result(examples: bs.KillmailSet) -> None:
    default = bs.cluster(examples)
    loose = bs.cluster(examples, min_shared=0, min_kills=1)
    assert len(loose) > len(default)
    assert sum(len(b) for b in loose) == len(examples)
    big = bs.cluster(examples, min_kills=10)
    assert all(len(b) >= 10 for b in big) and len(big) < len(default)
    tight = bs.cluster(examples, max_gap="1m", correlation_window="1m")
    assert len(tight) >= len(default)
    corp = bs.cluster(examples, correlate_by="alliance")
    assert corp


def test_durations_in_every_form(examples: bs.KillmailSet) -> None:
    ids = [b.id for b in bs.cluster(examples)]
    forms: list[tuple[bs.Duration, bs.Duration]] = [
        ("30m", "15m"),
        ("30 min", "15 min"),
        (1800, 900),
        (1800.0, 900.0),
        ("1800", "900"),
        (dt.timedelta(minutes=30), dt.timedelta(minutes=15)),
    ]
    for window, gap in forms:
        got = bs.cluster(examples, correlation_window=window, max_gap=gap)
        assert [b.id for b in got] == ids, (window, gap)
    assert bs.parse_duration("1h 30m") == dt.timedelta(hours=1, minutes=30)
    assert bs.parse_duration("90") == dt.timedelta(seconds=90)


def test_python_defaults_are_core_defaults() -> None:
    params = inspect.signature(bs.cluster).parameters
    core = bs.Clusterer().config
    for name in ("correlation_window", "max_gap"):
        assert bs.parse_duration(params[name].default) == bs.parse_duration(core[name])
    for name in ("min_shared", "correlate_by", "min_kills"):
        assert params[name].default == core[name]


def test_input_forms_give_the_same_battles(examples: bs.KillmailSet) -> None:
    expected = bs.cluster(examples)
    assert bs.cluster(list(examples)) == expected
    assert bs.cluster(examples.to_dicts()) == expected
    assert bs.cluster([k.to_json() for k in examples]) == expected
    assert bs.cluster(k.to_json().encode() for k in examples) == expected
    # Duplicates count once.
    assert bs.cluster(list(examples) + list(examples)) == expected


def test_battle_objects(example_battles: list[bs.Battle]) -> None:
    b = example_battles[0]
    assert "kills" in repr(b) and b.id in repr(b)
    assert b == example_battles[0] and b != example_battles[1]
    with pytest.raises(AttributeError):
        b.id = "x"  # type: ignore[misc]
    assert "pilots" in repr(b.sides[0]) and "ISK" in repr(b.stats)


def test_reading_and_clustering_release_the_gil(generated: Path) -> None:
    kms = bs.read_killmails(generated)
    window: dict[str, float] = {}

    def work() -> None:
        window["start"] = time.perf_counter()
        for _ in range(2):
            bs.read_killmails(generated)
            bs.cluster(kms)
        window["end"] = time.perf_counter()

    ticks: list[float] = []
    t = threading.Thread(target=work)
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    t.join()
    inside = [x for x in ticks if window["start"] < x < window["end"]]
    # With the GIL held for a whole call (tens of ms), this thread could
    # not run at all meanwhile; released, it ticks all along.
    elapsed = window["end"] - window["start"]
    assert len(inside) > 0.25 * elapsed / 0.002, (len(inside), elapsed)


def test_battles_pickle_and_read_back_from_json(example_battles: list[bs.Battle]) -> None:
    import pickle

    assert pickle.loads(pickle.dumps(example_battles)) == example_battles
    b = example_battles[2]
    assert bs.Battle.from_json(b.to_json()) == b
    assert bs.Battle.from_dict(b.to_dict()) == b
    with pytest.raises(bs.ParseError, match="not a battle document"):
        bs.Battle.from_dict({"id": "x"})
