"""Turn a ``rides bench suite --csv`` file into a Markdown table and a summary line.

uv run python bench/csv_to_md.py bench/results/darp_a_10s.csv
"""

from __future__ import annotations

import csv
import sys


def main(path: str) -> None:
    """Print the table of ``path`` as Markdown."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(r[c] for c in cols) + " |" for r in rows]
    gaps = [float(r["gap_pct"]) for r in rows if r["gap_pct"]]
    feasible = sum(r["feasible"] == "yes" for r in rows)
    summary = f"feasible {feasible}/{len(rows)}, mean gap to BKS {sum(gaps) / len(gaps):.2f}%"
    with_bks = [r for r in rows if r["bks_vehicles"]]
    over = [r for r in with_bks if int(r["vehicles"]) > int(r["bks_vehicles"])]
    fewer = [r for r in with_bks if int(r["vehicles"]) < int(r["bks_vehicles"])]
    same = [float(r["gap_pct"]) for r in with_bks if r["vehicles"] == r["bks_vehicles"]]
    summary += f"; vehicles above BKS on {len(over)}, below on {len(fewer)}"
    if same:
        summary += (
            f"; mean gap where the vehicle count equals BKS's: {sum(same) / len(same):.2f}%"
            f" ({len(same)} instances)"
        )
    if "vs_vroom" in cols:
        n = {k: sum(r["vs_vroom"] == k for r in rows) for k in ("win", "tie", "loss")}
        summary += f", vs VROOM {n['win']} wins / {n['tie']} ties / {n['loss']} losses"
    sys.stdout.write("\n".join(out) + "\n\n" + summary + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
