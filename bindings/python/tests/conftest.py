"""Shared fixtures: the repository's example data and core's test fixtures,
and (built once per session) the Rust CLI and generated killmails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import battlescope as bs

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "data"
FIXTURES = ROOT / "crates" / "battlescope-core" / "tests" / "fixtures"
SCHEMAS = ROOT / "schemas"
RULESETS = ROOT / "examples" / "rulesets"


def cargo_target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def release_binary(package: str, binary: str) -> Path:
    """A release binary of the workspace, built if needed (cargo is a no-op
    when it is current)."""
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.fail("cargo is needed to build the Rust CLI for parity tests")
    subprocess.run(
        [cargo, "build", "--release", "--quiet", "-p", package],
        cwd=ROOT,
        check=True,
    )
    path = cargo_target_dir() / "release" / binary
    assert path.exists(), path
    return path


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `battlescope` binary (the Rust CLI)."""
    return release_binary("battlescope", "battlescope")


@pytest.fixture(scope="session")
def synth() -> Path:
    return release_binary("battlescope-synth", "battlescope-synth")


@pytest.fixture(scope="session")
def generated(synth: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 realistic generated killmails (JSON Lines), seed 7."""
    out = tmp_path_factory.mktemp("synth") / "synth-20k.jsonl"
    subprocess.run(
        [synth, "--kills", "20000", "--seed", "7", "-o", out], check=True
    )
    return out


@pytest.fixture(scope="session")
def examples() -> bs.KillmailSet:
    return bs.read_killmails(EXAMPLES)


@pytest.fixture(scope="session")
def example_battles(examples: bs.KillmailSet) -> list[bs.Battle]:
    return bs.cluster(examples)


@pytest.fixture
def esi_text() -> str:
    return (FIXTURES / "esi" / "killmail-78560358.json").read_text()
