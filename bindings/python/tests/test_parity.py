"""Parity with the Rust CLI: the same files give the same battles, with
the same ids, memberships and documents."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import battlescope as bs
from conftest import EXAMPLES, ROOT


def cli_battles(cli: Path, *args: str | Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [cli, "cluster", *args, "--format", "jsonl", "--quiet"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def assert_same(cli_docs: list[dict[str, Any]], battles: list[bs.Battle]) -> None:
    assert [d["id"] for d in cli_docs] == [b.id for b in battles]
    assert [d["killmailIds"] for d in cli_docs] == [b.killmail_ids for b in battles]
    for doc, battle in zip(cli_docs, battles):
        # The CLI adds each battle's kill summaries to the document.
        doc = {k: v for k, v in doc.items() if k != "kills"}
        assert doc == battle.to_dict()


def test_examples_same_as_cli(cli: Path) -> None:
    expected = cli_battles(cli, EXAMPLES)
    assert len(expected) == 8
    assert_same(expected, bs.cluster(bs.read_killmails(EXAMPLES)))


def test_examples_with_options_same_as_cli(cli: Path) -> None:
    expected = cli_battles(
        cli, EXAMPLES, "--min-shared", "0", "--max-gap", "5m", "--min-kills", "3"
    )
    got = bs.cluster(bs.read_killmails(EXAMPLES), min_shared=0, max_gap="5m", min_kills=3)
    assert_same(expected, got)


def test_generated_fights_same_as_cli(cli: Path, generated: Path) -> None:
    expected = cli_battles(cli, generated)
    got = bs.cluster(bs.read_killmails(generated))
    assert len(got) > 1000
    assert_same(expected, got)
