"""Execute notebooks top to bottom; exit 1 when a cell raises.

    python bindings/python/tools/run_notebook.py examples/python/battles.ipynb [--out DIR]

Each notebook runs in its own directory (as Jupyter would open it) on the
`python3` kernel of the running interpreter. The executed copy, with
outputs, is written to --out when given; the checked-in notebook stays
without outputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbclient
import nbformat
from nbclient.exceptions import CellExecutionError


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    failed = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            nb,
            timeout=args.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
            print(f"{path}: {sum(c.cell_type == 'code' for c in nb.cells)} code cells ran")
        except CellExecutionError as e:
            failed += 1
            print(f"{path}: a cell failed:\n{e}", file=sys.stderr)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, args.out / path.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
