"""Write the schemathesis config of scripts/test-fuzz for a running API.

    python3 scripts/fuzz/config.py BASE_URL HOOKS_FILE > schemathesis.toml

Random ids are almost never stored ones, so without help every id the
fuzzer sends is a 404 and the 200 bodies of the battle, killmail and entity
routes are never checked against their schemas. This reads real ids and
cursors from the API under test (the sample data it replayed) into
dictionaries the fuzzer draws from half of the time; the other half stays
random (400s and 404s). Standard library only: it runs before the fuzzer.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any


def get(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=10) as answer:
        return json.load(answer)


def toml_list(values: list[Any]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def main() -> None:
    base, hooks = sys.argv[1].rstrip("/"), sys.argv[2]
    battles = get(base, "/api/battles?limit=500")["battles"]
    kills = [k["killmail"] for k in get(base, "/api/killmails/recent?limit=100")["killmails"]]
    people = [k["victim"] for k in kills] + [a for k in kills for a in k.get("attackers", [])]

    def ids(field: str) -> list[int]:
        return sorted({p[field] for p in people if p.get(field)})[:50]

    dictionaries = {
        "battle": [b["id"] for b in battles],
        "battle_cursor": [get(base, "/api/battles?limit=2")["nextCursor"]],
        "killmail": sorted(k["killmail_id"] for k in kills)[:50],
        "killmail_cursor": [get(base, "/api/killmails/recent?limit=2")["nextCursor"]],
        "alliance": ids("alliance_id"),
        "corporation": ids("corporation_id"),
        "character": ids("character_id"),
        "system": sorted({k["solar_system_id"] for k in kills}),
    }
    for name, values in dictionaries.items():
        if not values or None in values:
            sys.exit(f"scripts/fuzz/config.py: no {name} in the API's sample data")

    out = [f"hooks = {json.dumps(hooks)}", ""]
    for name, values in dictionaries.items():
        out += [f"[dictionaries.{name}]", f"values = {toml_list(values)}", ""]

    def bind(name: str) -> str:
        return f'{{ dictionary = "{name}", probability = 0.5 }}'

    # Filters common to the list and the battle search.
    out += ["[parameters]"]
    for field in ("system", "alliance", "corporation", "character"):
        out += [f'"query.{field}" = {bind(field)}', f'"body.{field}" = {bind(field)}']
    out += [""]
    per_path = [
        ("^/api/battles/", "path.id", "battle"),
        ("^/api/killmails/[{]", "path.id", "killmail"),
        ("^/api/alliances/", "path.id", "alliance"),
        ("^/api/corporations/", "path.id", "corporation"),
        ("^/api/characters/", "path.id", "character"),
        ("^/api/battles$", "query.cursor", "battle_cursor"),
        ("^/api/search/battles$", "body.cursor", "battle_cursor"),
        ("^/api/killmails/recent$", "query.cursor", "killmail_cursor"),
    ]
    for regex, key, name in per_path:
        out += [
            "[[operations]]",
            f"include-path-regex = {json.dumps(regex)}",
            f'parameters = {{ "{key}" = {bind(name)} }}',
            "",
        ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
