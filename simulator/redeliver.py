"""A department re-delivers a month: a corrected file under the same name replaces the earlier one.

A sources root holds one version of each file, so re-delivery is an event applied to a generated
root: duplicate rows are removed and a few amounts corrected, the record keys stay the same (the
truth stays valid), and the change is logged in `_truth/redeliveries.jsonl`.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

DELIVERIES = {
    # source: (file name pattern, encoding, line terminator, amount columns, total column or None)
    "tax": ("税收_{period}.csv", "gbk", "\r\n", (3, 4, 5), 6),
    "grid": ("用电量_{period}.csv", "utf-8", "\n", (6,), None),
}


def number(text: str) -> float:
    return float(text.replace(",", ""))


def redeliver(root: Path, source: str, period: str, seed: int = 0, share: float = 0.03) -> dict:
    """Rewrite `source`'s file for `period` (YYYYMM) as a corrected delivery; returns what changed."""
    pattern, encoding, terminator, amount_cols, total_col = DELIVERIES[source]
    path = Path(root) / source / pattern.format(period=period)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no delivery for {source} {period} to correct")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))
    header, body = rows[0], rows[1:]
    seen, kept = set(), []
    for row in body:
        if tuple(row) not in seen:
            seen.add(tuple(row))
            kept.append(list(row))
    rng = np.random.default_rng([seed, 999, int(period)])
    corrected = np.flatnonzero(rng.random(len(kept)) < share).tolist()
    for i in corrected:
        row = kept[i]
        factor = float(rng.uniform(0.8, 1.25))
        if source == "tax":
            vat = round(number(row[3]) * factor, 2)
            vat = vat if vat != number(row[3]) else vat + 0.01  # a correction changes the amount
            row[3] = f"{vat:.2f}"
            row[total_col] = f"{vat + number(row[4]) + number(row[5]):.2f}"
        else:
            kwh = round(number(row[6]) * factor)
            kwh = kwh if kwh != number(row[6]) else kwh + 1  # a small reading can round back to itself
            price = number(row[7]) / max(number(row[6]), 1)
            row[6], row[7] = str(kwh), f"{kwh * price:.2f}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator=terminator).writerows([header, *kept])
    tmp = path.with_name(f".{path.name}.redelivery")  # a leading dot: never read as a delivery
    tmp.write_bytes(buf.getvalue().encode(encoding))
    os.replace(tmp, path)
    event = {"source": source, "period": period, "rows_before": len(body), "rows_after": len(kept),
             "duplicates_removed": len(body) - len(kept), "rows_corrected": len(corrected)}
    log = Path(root) / "_truth" / "redeliveries.jsonl"
    log.parent.mkdir(exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, ensure_ascii=False) + "\n")
    return event
