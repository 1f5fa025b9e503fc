"""Benchmarks of the Python package on generated killmails.

    python bindings/python/benches/bench.py [--kills 1000000] [--seed 42] [--repeat 3]

Generates the killmails with `battlescope-synth` (once, cached under
.local/bench/), then measures from Python:

- `read_killmails(file)`: parse into a KillmailSet (Rust memory);
- `cluster(killmail_set)`: clustering with battle documents, plus the
  conversion of every battle into a Python `Battle` object (target < 3 s
  for 1M killmails);
- `cluster(list of dicts)` on a slice: the cost of Python-side input;
- `battles_to_pandas` of 100,000 battles (the battles of the run, repeated
  up to 100,000: the conversion costs the same per battle);
- `KillmailSet.to_pandas(nested=False)` of every killmail;
- for reference, under the same load: the time the Rust CLI
  (`battlescope cluster`) reports for the same `cluster()` call in core,
  so the Python overhead is the difference.

Prints one Markdown table row per measurement (best of --repeat runs).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import battlescope as bs

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def best_of(repeat: int, f: Callable[[], T]) -> tuple[float, T]:
    times: list[float] = []
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def generate(kills: int, seed: int) -> Path:
    out = ROOT / ".local" / "bench" / f"synth-{kills}-seed{seed}.jsonl"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "battlescope-synth"], cwd=ROOT, check=True
    )
    tmp = out.with_suffix(".tmp")
    subprocess.run(
        [target / "release" / "battlescope-synth", "--kills", str(kills), "--seed", str(seed), "-o", tmp],
        check=True,
    )
    tmp.rename(out)
    return out


def cli_cluster_seconds(path: Path) -> float:
    """The clustering time `battlescope cluster` reports on stderr."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "battlescope"], cwd=ROOT, check=True)
    done = subprocess.run(
        [target / "release" / "battlescope", "cluster", path, "--format", "jsonl", "-o", os.devnull],
        check=True,
        capture_output=True,
        text=True,
    )
    m = re.search(r"clustered ([0-9.]+)(ms|s)", done.stderr)
    assert m, done.stderr
    return float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)


def row(what: str, seconds: float, note: str) -> None:
    print(f"| {what} | {seconds:.3f} s | {note} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--table-battles", type=int, default=100_000)
    parser.add_argument("--dict-slice", type=int, default=100_000)
    parser.add_argument("--no-cli", action="store_true", help="skip the Rust CLI reference")
    args = parser.parse_args()

    path = generate(args.kills, args.seed)
    size = path.stat().st_size
    print(f"input: {path.name}, {size / 1e6:,.0f} MB; load average {os.getloadavg()[0]:.2f}")
    print("| measurement | time | notes |\n|---|---|---|")

    t, killmails = best_of(1, lambda: bs.read_killmails(path))
    row(f"`read_killmails` of {len(killmails):,} killmails", t, f"{size / 1e6 / t:,.0f} MB/s")

    t, battles = best_of(args.repeat, lambda: bs.cluster(killmails))
    row(
        f"`cluster(KillmailSet)` of {len(killmails):,} → {len(battles):,} `Battle` objects",
        t,
        f"best of {args.repeat}; default config",
    )

    if not args.no_cli:
        row(
            "reference: core `cluster()` inside the Rust CLI, same file",
            cli_cluster_seconds(path),
            "as `battlescope cluster` reports it (no Python)",
        )

    n = min(args.dict_slice, len(killmails))
    dicts = killmails.to_dicts()[:n] if n == len(killmails) else [killmails[i].to_dict() for i in range(n)]
    t, few = best_of(args.repeat, lambda: bs.cluster(dicts))
    row(f"`cluster(list of {n:,} dicts)`", t, f"{len(few):,} battles; dict → JSON → core per record")

    reps = -(-args.table_battles // max(len(battles), 1))
    many = (battles * reps)[: args.table_battles]
    t, frame = best_of(args.repeat, lambda: bs.battles_to_pandas(many))
    row(f"`battles_to_pandas` of {len(frame):,} battles", t, f"{len(frame.columns)} columns")

    t, kframe = best_of(1, lambda: killmails.to_pandas(nested=False))
    row(f"`KillmailSet.to_pandas(nested=False)` of {len(kframe):,}", t, f"{len(kframe.columns)} columns")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
