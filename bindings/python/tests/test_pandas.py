"""DataFrames out (killmails, battles) and in (killmails)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import battlescope as bs
from conftest import EXAMPLES

pd = pytest.importorskip("pandas")


def test_killmail_frame(examples: bs.KillmailSet) -> None:
    df = examples.to_pandas()
    assert len(df) == len(examples)
    assert list(df["killmail_id"]) == examples.killmail_ids
    assert str(df["killmail_time"].dt.tz) == "UTC"
    assert df["killmail_time"].iloc[0] == pd.Timestamp(examples[0].killmail_time)
    assert str(df["victim_alliance_id"].dtype) == "Int64"
    assert str(df["ship_class"].dtype) == "category"
    assert df["attacker_count"].iloc[5] == len(examples[5].attackers)
    assert df["victim"].iloc[5] == examples[5].victim
    flat = examples.to_pandas(nested=False)
    assert "attackers" not in flat.columns and len(flat) == len(examples)


def test_killmail_frame_round_trip(examples: bs.KillmailSet) -> None:
    back = bs.read_killmails(examples.to_pandas())
    assert back.skipped == {}
    assert back.to_dicts() == examples.to_dicts()
    assert bs.cluster(examples.to_pandas()) == bs.cluster(examples)


def test_frame_from_read_json() -> None:
    path = EXAMPLES / "wormhole-fights-2024.jsonl"
    df = pd.read_json(path, lines=True)
    from_frame = bs.read_killmails(df)
    from_file = bs.read_killmails(path)
    assert from_frame.skipped == {}
    assert from_frame.to_dicts() == from_file.to_dicts()


def test_bad_rows_name_their_index() -> None:
    df = pd.read_json(EXAMPLES / "wormhole-fights-2024.jsonl", lines=True)
    df.loc[3, "solar_system_id"] = 0
    with pytest.warns(bs.SkippedRecordsWarning, match="invalid:solar_system_id: 1"):
        s = bs.read_killmails(df)
    assert len(s) == len(df) - 1
    (err,) = s.errors
    assert isinstance(err, bs.InvalidKillmailError)
    assert err.index == 3 and err.field == "solar_system_id"


def test_battle_frame(example_battles: list[bs.Battle]) -> None:
    df = bs.battles_to_pandas(example_battles)
    assert list(df["id"]) == [b.id for b in example_battles]
    assert list(df["kill_count"]) == [b.stats.kill_count for b in example_battles]
    assert list(df["side_count"]) == [len(b.sides) for b in example_battles]
    assert list(df["isk_destroyed"]) == [b.stats.isk_destroyed for b in example_battles]
    assert list(df["killmail_ids"]) == [b.killmail_ids for b in example_battles]
    assert df["start_time"].iloc[0] == pd.Timestamp(example_battles[0].start_time)
    assert str(df["end_time"].dt.tz) == "UTC"
    assert set(df.columns) >= {
        "system_name",
        "region_name",
        "security_class",
        "duration_seconds",
        "unique_pilots",
        "zkillboard_url",
    }
    empty = bs.battles_to_pandas([])
    assert len(empty) == 0 and "id" in empty.columns
    with pytest.raises(TypeError):
        bs.battles_to_pandas([1, 2])  # type: ignore[list-item]


def test_arrow(example_battles: list[bs.Battle], tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(bs.battles_to_pandas(example_battles))
    assert table.num_rows == len(example_battles)
    path = tmp_path / "battles.parquet"
    import pyarrow.parquet as pq

    pq.write_table(table, path)
    back = pd.read_parquet(path)
    assert list(back["id"]) == [b.id for b in example_battles]
    assert json.loads(json.dumps(back["kill_count"].tolist())) == [
        b.stats.kill_count for b in example_battles
    ]
