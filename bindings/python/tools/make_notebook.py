"""Write examples/python/battles.ipynb from the cells below (outputs empty).

    python bindings/python/tools/make_notebook.py

Edit the cells here, not the .ipynb, so the notebook stays reviewable.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[3] / "examples" / "python" / "battles.ipynb"

CELLS = [
    new_markdown_cell(
        "# Battles from killmails\n\n"
        "This notebook loads the example killmails of `examples/data` (real wormhole fights "
        "of 2024), clusters them into battles with the BattleScope engine, shows a table of "
        "the battles and a timeline of the largest one.\n\n"
        "Install: `pip install './bindings/python[pandas]' matplotlib` from the repository root."
    ),
    new_code_cell(
        "from pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\n\n"
        "import battlescope as bs\n\n"
        "# examples/data, wherever the notebook is started from inside the repository\n"
        "here = Path.cwd().resolve()\n"
        "DATA = next(p / 'examples' / 'data' for p in [here, *here.parents] "
        "if (p / 'examples' / 'data').is_dir())\n"
        "bs.__version__, DATA"
    ),
    new_markdown_cell(
        "## Load\n\n"
        "`read_killmails` takes files, directories, lists of them, DataFrames or records. "
        "Killmails stay in Rust memory; bad records are skipped and counted."
    ),
    new_code_cell(
        "killmails = bs.read_killmails(DATA, progress=True)\n"
        "print(killmails)\n"
        "print('skipped:', killmails.skipped or 'none')\n"
        "killmails.to_pandas(nested=False).head()"
    ),
    new_markdown_cell(
        "## Cluster\n\n"
        "Kills in the same system, at most 30 minutes apart and sharing a pilot, are one "
        "battle; a silence longer than 15 minutes splits it."
    ),
    new_code_cell(
        "battles = bs.cluster(killmails, correlation_window='30m', max_gap='15m', min_kills=2)\n"
        "table = bs.battles_to_pandas(battles)\n"
        "table['isk_destroyed_b'] = (table['isk_destroyed'] / 1e9).round(2)\n"
        "table.sort_values('kill_count', ascending=False)[\n"
        "    ['start_time', 'system_name', 'duration_seconds', 'kill_count', 'unique_pilots',\n"
        "     'side_count', 'isk_destroyed_b']\n"
        "]"
    ),
    new_markdown_cell("## The largest battle\n\nIts sides, largest first:"),
    new_code_cell(
        "largest = max(battles, key=len)\n"
        "print(largest)\n"
        "sides = bs.sides_to_pandas([largest])\n"
        "sides['isk_lost_m'] = (sides['isk_lost'] / 1e6).round(1)\n"
        "sides[['side', 'alliance_count', 'pilot_count', 'kills', 'losses', 'isk_lost_m', 'efficiency']]"
    ),
    new_markdown_cell(
        "### Timeline\n\n"
        "Each loss at its time, on the row of the victim's side, sized by its value; below, "
        "kills per minute."
    ),
    new_code_cell(
        "kills = bs.kills_to_pandas([largest], killmails)  # one row per kill, with the victim's side\n"
        "kills['victim_side'] = kills['victim_side'].fillna(-1).astype(int)\n\n"
        "fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), sharex=True,\n"
        "                                  gridspec_kw={'height_ratios': [3, 1]})\n"
        "for side, group in kills.groupby('victim_side'):\n"
        "    sizes = 20 + 300 * (group['total_value'].fillna(0) / max(kills['total_value'].max(), 1))\n"
        "    top.scatter(group['killmail_time'], [side] * len(group), s=sizes, alpha=0.7)\n"
        "rows = sorted(kills['victim_side'].unique())\n"
        "top.set_yticks(rows, [f'side {s}' if s >= 0 else 'no side' for s in rows])\n"
        "top.set_ylim(max(rows) + 0.5, min(rows) - 0.5)\n"
        "top.set_ylabel('losses of')\n"
        "top.set_title(f'{largest.system_name}: {len(largest)} kills, '\n"
        "              f'{largest.stats.isk_destroyed / 1e9:.2f} B ISK destroyed')\n"
        "minutes = pd.date_range(largest.start_time.replace(second=0), periods=len(largest.stats.kills_per_minute), freq='min')\n"
        "bottom.bar(minutes, largest.stats.kills_per_minute, width=1 / 1440, align='edge')\n"
        "bottom.set_ylabel('kills / min')\n"
        "fig.autofmt_xdate()\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Rulesets\n\n"
        "Keep only the killmails a ruleset accepts, and see which rule dropped the others."
    ),
    new_code_cell(
        "rules = bs.Ruleset.from_file(DATA.parent / 'rulesets' / 'wormhole-fights.yaml')\n"
        "kept = bs.filter(killmails, rules)\n"
        "print(f'kept {len(kept)} of {len(killmails)}; rejected by rule: {kept.rejected}')\n"
        "bs.battles_to_pandas(bs.cluster(kept))[['start_time', 'system_name', 'kill_count']]"
    ),
    new_markdown_cell(
        "## Intel\n\n"
        "What the battles say about one alliance: whom it fought and beside whom, its "
        "ships and doctrines. Here, the alliance with the most attackers on the killmails."
    ),
    new_code_cell(
        "from collections import Counter\n\n"
        "alliance, _ = Counter(a['alliance_id'] for km in killmails for a in km.attackers\n"
        "                      if a.get('alliance_id')).most_common(1)[0]\n"
        "report = bs.intel.analyze(killmails, battles, alliance=alliance)\n"
        "print(alliance, report['summary'])\n"
        "intel = bs.intel.to_pandas(report)  # each section as a DataFrame\n"
        "intel['opponents'].head()"
    ),
    new_markdown_cell(
        "## Incremental\n\n"
        "The `Clusterer` takes killmails one at a time and says what changed; it ends with the "
        "same battles as `cluster()`."
    ),
    new_code_cell(
        "clusterer = bs.Clusterer(allowed_lateness='3000d')\n"
        "events = []\n"
        "for km in killmails:\n"
        "    events.extend(clusterer.push(km).events)\n"
        "print(pd.Series([e['type'] for e in events]).value_counts().to_dict())\n"
        "same = {tuple(b.killmail_ids) for b in clusterer.battles()} == "
        "{tuple(b.killmail_ids) for b in battles}\n"
        "print('same battles as cluster():', same)"
    ),
]


def main() -> None:
    nb = new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep regeneration free of noise in diffs.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    nbformat.validate(nb)
    OUT.write_text(nbformat.writes(nb) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
