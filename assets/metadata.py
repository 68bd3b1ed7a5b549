"""Metadata shown in the Dagster UI, the same way for every layer."""
from __future__ import annotations


def markdown_table(rows: list[dict], max_columns: int | None = None, max_width: int | None = None) -> str:
    """Rows as a Markdown table (a preview, a list of deliveries); `|` in values escaped."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])[:max_columns]

    def cell(value) -> str:
        text = "" if value is None else str(value).replace("|", "\\|")
        return text[:max_width] if max_width else text

    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)
