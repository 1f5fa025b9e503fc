"""Core errors map to Python exceptions carrying the record and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import battlescope as bs
from battlescope import errors


def test_hierarchy() -> None:
    assert issubclass(bs.ParseError, bs.BattleScopeError)
    assert issubclass(bs.ParseError, ValueError)
    assert issubclass(bs.InvalidKillmailError, bs.ParseError)
    assert issubclass(bs.FormatError, ValueError)
    assert issubclass(bs.ConfigError, ValueError)
    assert issubclass(bs.ReadError, OSError)
    assert bs.ParseError is errors.ParseError


def test_invalid_json_names_the_position() -> None:
    with pytest.raises(bs.ParseError) as e:
        bs.parse_killmail('{"killmail_id": 5, "killmail_time": ')
    err = e.value
    assert type(err) is bs.ParseError
    assert err.reason == "invalid_json"
    # Core reads the id even from a record it cannot finish.
    assert err.record == "killmail 5" and err.killmail_id == 5
    assert err.source is None and err.line is None and err.index is None


def test_wrong_type_names_the_field(esi_text: str) -> None:
    doc = json.loads(esi_text)
    doc["attackers"][1]["final_blow"] = "yes"
    with pytest.raises(bs.ParseError) as e:
        bs.parse_killmail(doc)
    assert e.value.field == "attackers[1].final_blow"
    assert "attackers[1].final_blow" in str(e.value)


def test_validation_error_carries_field_and_killmail(esi_text: str) -> None:
    doc = json.loads(esi_text)
    doc["killmail_time"] = "1999-01-01T00:00:00Z"
    with pytest.raises(bs.InvalidKillmailError) as e:
        bs.parse_killmail(doc)
    err = e.value
    assert err.field == "killmail_time"
    assert err.killmail_id == 78560358
    assert err.reason == "invalid:killmail_time"
    assert err.kind == "invalid"  # the engine's word, as in Rust and Node
    assert err.record == "killmail 78560358"
    assert isinstance(err, ValueError)


def test_not_a_killmail() -> None:
    with pytest.raises(bs.ParseError) as e:
        bs.parse_killmail({"hello": "world"})
    assert e.value.reason == "not_a_killmail"
    with pytest.raises(bs.ParseError, match="ESI"):
        bs.parse_killmail({"killmail_id": 9, "zkb": {"hash": "abc"}})
    with pytest.raises(bs.ParseError, match="nothing new"):
        bs.parse_killmail('{"package": null}')


def test_errors_in_a_collection_name_the_index(esi_text: str) -> None:
    doc = json.loads(esi_text)
    with pytest.raises(bs.InvalidKillmailError) as e:
        bs.cluster([doc, doc, dict(doc, killmail_id=3, solar_system_id=0)])
    assert e.value.index == 2
    assert e.value.killmail_id == 3
    assert e.value.field == "solar_system_id"
    assert e.value.record == "killmail 3 at element 2"


def test_errors_in_files_name_file_and_line(tmp_path: Path, esi_text: str) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps(json.loads(esi_text)) + "\n" + '{"killmail_id": "seven"}\n')
    with pytest.raises(bs.ParseError) as e:
        bs.read_killmails(f, strict=True)
    err = e.value
    assert (err.source, err.line, err.field) == (str(f), 2, "killmail_id")
    assert err.record == f"{f} line 2"


def test_format_error(tmp_path: Path, esi_text: str) -> None:
    f = tmp_path / "broken.json"
    f.write_text("[" + json.dumps(json.loads(esi_text)) + ", {]")
    with pytest.raises(bs.FormatError) as e:
        bs.read_killmails(f)
    assert e.value.source == str(f)
    assert e.value.reason == "format"


def test_config_errors_name_the_parameter(examples: bs.KillmailSet) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"max_gap": "soon"}, "max_gap"),
        ({"correlation_window": -5}, "correlation_window"),
        ({"correlation_window": -1.5}, "correlation_window"),
        ({"max_gap": 0}, "max_gap"),
        ({"min_kills": 0}, "min_kills"),
        ({"correlate_by": "fleet"}, "correlate_by"),
    ]
    for kwargs, field in cases:
        with pytest.raises(bs.ConfigError) as e:
            bs.cluster(examples, **kwargs)  # type: ignore[arg-type]
        assert e.value.field == field, kwargs
        assert e.value.reason == "config"
    with pytest.raises(TypeError):
        bs.cluster(examples, max_gap=[1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bs.cluster(examples, max_gap=True)
    with pytest.raises(OverflowError):
        bs.cluster(examples, min_kills=-1)


def test_paths_where_killmails_are_expected_are_named() -> None:
    with pytest.raises(TypeError, match="read_killmails"):
        bs.cluster("examples/data")
    with pytest.raises(TypeError, match="parse_killmail"):
        bs.cluster({"killmail_id": 1})


def test_exceptions_in_killmail_set_errors_are_instances(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text("{}\n")
    with pytest.warns(bs.SkippedRecordsWarning, match="not_a_killmail: 1"):
        s = bs.read_killmails(f)
    (err,) = s.errors
    assert isinstance(err, bs.ParseError)
    assert err.line == 1 and err.reason == "not_a_killmail"
