#!/usr/bin/env python3
"""Convert br.evetools.org "related" battle reports into ESI killmails.

Reads every ``examples/sources/br-evetools/*.json`` and writes the killmails as
JSON Lines (one ESI killmail per line) to
``examples/data/wormhole-fights-2024.jsonl``, sorted by
(``killmail_time``, ``killmail_id``) and de-duplicated by ``killmail_id``.

Field mapping (br -> ESI):

    id               -> killmail_id
    time (unix ms)   -> killmail_time  (RFC 3339 UTC, ``YYYY-MM-DDTHH:MM:SSZ``)
    system           -> solar_system_id
    victim.char/corp/ally/fctn/ship/dmg
                     -> character_id/corporation_id/alliance_id/faction_id/
                        ship_type_id/damage_taken
    attackers[].char/corp/ally/fctn/ship/weap/dmg
                     -> character_id/corporation_id/alliance_id/faction_id/
                        ship_type_id/weapon_type_id/damage_done
    totalValue       -> zkb.totalValue (zKillboard's value; no hash exists)

An ID of 0 in the source means "absent": the key is left out. The source does
not say who landed the final blow, so every attacker gets ``final_blow: false``
(no attacker is picked). ``security_status``, ``items`` and ``position`` are
not in the source and are left out.

Usage:
    python3 examples/sources/br_to_esi.py           # (re)write the .jsonl
    python3 examples/sources/br_to_esi.py --check   # exit 1 if it is stale

Python 3.11+, standard library only. The output is byte-for-byte
deterministic for the same input files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "br-evetools"
OUTPUT = HERE.parent / "data" / "wormhole-fights-2024.jsonl"

# (br key, ESI key), in ESI's own (alphabetical) key order.
VICTIM_FIELDS = [
    ("ally", "alliance_id"),
    ("char", "character_id"),
    ("corp", "corporation_id"),
    ("dmg", "damage_taken"),
    ("fctn", "faction_id"),
    ("ship", "ship_type_id"),
]
ATTACKER_FIELDS = [
    ("ally", "alliance_id"),
    ("char", "character_id"),
    ("corp", "corporation_id"),
    ("dmg", "damage_done"),
    ("fctn", "faction_id"),
    ("final_blow", "final_blow"),  # not in the source: always false
    ("ship", "ship_type_id"),
    ("weap", "weapon_type_id"),
]
# Keys written even when the source value is 0 (they are counts, not IDs).
ALWAYS_KEPT = {"damage_taken", "damage_done"}


class ConvertError(Exception):
    """The input does not look like a br.evetools.org "related" response."""


def _int(obj: dict, key: str, where: str) -> int:
    if key not in obj:
        raise ConvertError(f"{where}: missing key `{key}`")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConvertError(f"{where}: `{key}` must be a non-negative integer, got {value!r}")
    return value


def _rfc3339(ms: int, where: str) -> str:
    if ms % 1000:
        raise ConvertError(f"{where}: `time` {ms} is not a whole second (ESI has second precision)")
    when = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _party(src: dict, fields: list[tuple[str, str]], where: str) -> dict:
    out: dict = {}
    for br_key, esi_key in fields:
        if br_key == "final_blow":
            out[esi_key] = False
            continue
        value = _int(src, br_key, where)
        if value == 0 and esi_key not in ALWAYS_KEPT:
            continue  # 0 = absent in the br format
        out[esi_key] = value
    return out


def convert_km(km: dict, where: str) -> dict:
    """One br ``kms[]`` entry -> one ESI killmail (dict, in output key order)."""
    killmail_id = _int(km, "id", where)
    where = f"{where} killmail {killmail_id}"
    victim_src = km.get("victim")
    attackers_src = km.get("attackers")
    if not isinstance(victim_src, dict):
        raise ConvertError(f"{where}: `victim` must be an object")
    if not isinstance(attackers_src, list) or not attackers_src:
        raise ConvertError(f"{where}: `attackers` must be a non-empty list")

    victim = _party(victim_src, VICTIM_FIELDS, f"{where} victim")
    if "ship_type_id" not in victim:
        raise ConvertError(f"{where}: victim has no ship type (ESI requires one)")
    attackers = [
        _party(a, ATTACKER_FIELDS, f"{where} attacker {i}")
        for i, a in enumerate(attackers_src)
    ]

    out = {
        "killmail_id": killmail_id,
        "killmail_time": _rfc3339(_int(km, "time", where), where),
        "solar_system_id": _int(km, "system", where),
        "victim": victim,
        "attackers": attackers,
    }
    total_value = km.get("totalValue")
    if total_value is not None:
        if isinstance(total_value, bool) or not isinstance(total_value, (int, float)):
            raise ConvertError(f"{where}: `totalValue` must be a number, got {total_value!r}")
        out["zkb"] = {"totalValue": total_value}
    return out


def build(source_dir: Path = SOURCE_DIR) -> tuple[str, dict]:
    """Convert every source file; return the JSON Lines text and statistics."""
    files = sorted(source_dir.glob("*.json"))
    if not files:
        raise ConvertError(f"no *.json files in {source_dir}")
    by_id: dict[int, tuple[dict, str]] = {}
    stats = {"files": len(files), "kms": 0, "duplicates": 0, "conflicts": 0}
    for path in files:
        with path.open(encoding="utf-8") as fh:
            report = json.load(fh)
        kms = report.get("kms") if isinstance(report, dict) else None
        if not isinstance(kms, list):
            raise ConvertError(f"{path.name}: no `kms` list (not a br.evetools.org related response?)")
        for i, km in enumerate(kms):
            if not isinstance(km, dict):
                raise ConvertError(f"{path.name} kms[{i}]: not an object")
            stats["kms"] += 1
            esi = convert_km(km, f"{path.name} kms[{i}]")
            kid = esi["killmail_id"]
            if kid in by_id:
                stats["duplicates"] += 1
                first, first_file = by_id[kid]
                if first != esi:
                    stats["conflicts"] += 1
                    print(
                        f"warning: killmail {kid} in {path.name} differs from the copy in "
                        f"{first_file}; keeping the one from {first_file}",
                        file=sys.stderr,
                    )
                continue
            by_id[kid] = (esi, path.name)

    killmails = sorted(
        (esi for esi, _ in by_id.values()),
        key=lambda k: (k["killmail_time"], k["killmail_id"]),
    )
    stats["written"] = len(killmails)
    text = "".join(json.dumps(k, separators=(",", ":")) + "\n" for k in killmails)
    return text, stats


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; use normal file permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"regenerate into a temporary file and exit 1 if it differs from {OUTPUT.name}",
    )
    args = parser.parse_args(argv)

    try:
        text, stats = build()
    except (ConvertError, OSError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    summary = (
        f"{stats['files']} files, {stats['kms']} killmails in the source, "
        f"{stats['duplicates']} duplicate ids ({stats['conflicts']} conflicting), "
        f"{stats['written']} killmails out"
    )

    if args.check:
        with tempfile.TemporaryDirectory() as tmpdir:
            fresh = Path(tmpdir) / OUTPUT.name
            _write(fresh, text)
            fresh_bytes = fresh.read_bytes()
        try:
            committed = OUTPUT.read_bytes()
        except FileNotFoundError:
            print(f"{_shown(OUTPUT)} is missing; run without --check to create it", file=sys.stderr)
            return 1
        if committed != fresh_bytes:
            print(
                f"{_shown(OUTPUT)} is out of date ({summary}); run without --check to regenerate it",
                file=sys.stderr,
            )
            return 1
        print(f"{OUTPUT.name} is up to date ({summary})")
        return 0

    _write(OUTPUT, text)
    print(f"wrote {_shown(OUTPUT)} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
