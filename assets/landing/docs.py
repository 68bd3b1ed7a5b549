"""`python -m assets.landing.docs`: writes docs/landing.md from the declarations in contracts/sources.py."""
from __future__ import annotations

import sys
from pathlib import Path

from contracts.sources import DATASETS

TARGET = Path(__file__).resolve().parents[2] / "docs" / "landing.md"


def render() -> str:
    out = ["# Landing: the bronze datasets", "",
           "Generated from `contracts/sources.py` by `python -m assets.landing.docs`; do not edit by hand.",
           "Values are kept in the source's units; every dataset also carries `_source_file`, `_source_row`,",
           "`_delivery_sha256`, `_loaded_at` and `_delivery_partition`. Rows that cannot be typed, miss a required",
           "value, break a domain rule below, or contradict another row of the same delivery with the same identity",
           "are in `lake/quarantine/<source>/<dataset>/` with every reason. A row's own period may be earlier than its",
           "delivery's (a late filing: it loads, and both periods are kept), never later.",
           ""]
    for ds in DATASETS:
        if ds.table:
            where = f"S1 database (SAMR_DB_URL), table `{ds.table}`"
        elif ds.pattern:
            where = f"`<sources root>/{ds.source}/{ds.pattern}`"
        else:
            where = "the HRSS HTTP API (HRSS_API_BASE_URL)"
        out += [f"## `bronze/{ds.source}/{ds.name}`: {ds.title}", "",
                f"{ds.format}, {ds.encoding or 'n/a'} encoding, {ds.partitioning} partitions, from {where}. "
                f"Source record key: {' + '.join(f'`{k}`' for k in ds.key)}."
                + (f" Identity of a row within one delivery: {' + '.join(f'`{k}`' for k in ds.unique_within_delivery)}."
                   if ds.unique_within_delivery else "")
                + "".join(f" `{b}` is never before `{a}`." for a, b in ds.ordered_dates), "",
                "| source column | column | type | unit | required | notes |", "|---|---|---|---|---|---|"]
        for f in ds.fields:
            notes = "; ".join(filter(None, [
                f.doc, "personal data, never published" if f.pii else "",
                f"at least {f.minimum:g}" if f.minimum is not None else "",
                "never after the day it is landed" if f.not_in_future else "",
                "the row's own period (a late filing loads; after the delivery's is impossible)"
                if f.name == ds.period_field else ""]))
            out.append(f"| {f.source} | `{f.name}` | {f.duckdb_type} | {f.unit or ''} | {'yes' if f.required else ''} "
                       f"| {notes} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")
    sys.exit(0)
