"""Personal data must never leave in a published file: a scan of the staged Parquet files.

- columns named like S1's personal columns (CERNO, TEL, LEREP and their landed names, from the landing contract);
- values that are a resident ID number (GB 11643: 6-digit area, a real birth date, 3 digits, and a valid
  ISO 7064 MOD 11-2 check character), found by a DuckDB regex over every text column, the check confirmed in
  Python for the few candidates only;
- values holding a mainland mobile number (1[3-9] + 9 digits, not inside a longer number) or a landline
  (0 + area code - 7 or 8 digits).
Findings show masked values only: the scan's own report must not leak what it found.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assets.metadata import markdown_table
from contracts.sources import DATASETS
from contracts.sql import quote_identifier, quote_literal
from resources import connections

PERSONAL_COLUMNS = {n.lower() for ds in DATASETS for f in ds.fields if f.pii for n in (f.source, f.name)}
ID_CANDIDATE = (r"(^|[^0-9A-Za-z])"
                r"([1-8][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])"
                r"([^0-9A-Za-z]|$)")
MOBILE = r"(^|[^0-9A-Za-z])1[3-9][0-9]{9}([^0-9A-Za-z]|$)"
LANDLINE = r"(^|[^0-9A-Za-z])0[1-9][0-9]{1,2}-[0-9]{7,8}([^0-9A-Za-z]|$)"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SAMPLES = 5


def id_number_is_valid(text: str) -> bool:
    text = text.upper()
    return len(text) == 18 and text[:17].isdigit() and \
        ID_CHECK[sum(int(d) * w for d, w in zip(text[:17], ID_WEIGHTS, strict=True)) % 11] == text[17]


def mask(text: str) -> str:
    return text[:3] + "*" * max(len(text) - 5, 3) + text[-2:] if len(text) > 5 else "*" * len(text)


@dataclass
class Finding:
    file: str
    column: str
    kind: str
    rows: int
    samples: list[str]

    @property
    def summary(self) -> str:
        return f"{self.file}:{self.column} {self.kind} in {self.rows} row(s)"


def scan(folder: Path, config: dict[str, object]) -> list[Finding]:
    """Every staged file of `folder`, read once for all its text columns and patterns (a province's extracts hold
    hundreds of millions of rows); `config` bounds the connection (resources.connections.bounded)."""
    findings: list[Finding] = []
    patterns = {"id": quote_literal(ID_CANDIDATE), "mobile phone number": quote_literal(MOBILE),
                "landline phone number": quote_literal(LANDLINE)}  # constants of the query: compiled once
    con = connections.connect(config=config)
    try:
        for path in sorted(folder.glob("*.parquet")):
            source, file = "read_parquet($path, hive_partitioning = false)", {"path": str(path)}
            columns = con.execute(f"describe select * from {source}", file).fetchall()
            findings += [Finding(path.name, name, "personal column", -1, []) for name, *_ in columns
                         if name.lower() in PERSONAL_COLUMNS]
            text = [name for name, kind, *_ in columns if kind == "VARCHAR"]
            if not text:
                continue
            # per column: how many rows hold an ID candidate (the regex narrows, the check character decides
            # below, on at most 10,000 distinct candidates), then the count and a few samples of each phone pattern
            selects = []
            for name in text:
                col = quote_identifier(name)
                selects.append(f"count(*) filter (where regexp_matches({col}, {patterns['id']}))")
                for label in ("mobile phone number", "landline phone number"):
                    hit = f"regexp_matches({col}, {patterns[label]})"
                    selects.append(f"count(*) filter (where {hit})")
                    selects.append(f"array_slice(list({col}) filter (where {hit}), 1, {SAMPLES})")
            row = con.execute(f"select {', '.join(selects)} from {source}", file).fetchone()
            for n, name in enumerate(text):
                candidate_rows, mobiles, mobile_samples, landlines, landline_samples = row[5 * n:5 * n + 5]
                col = quote_identifier(name)
                candidates = [r[0] for r in con.execute(
                    f"select distinct regexp_extract({col}, {patterns['id']}, 2) from {source} "
                    f"where regexp_matches({col}, {patterns['id']}) limit 10000", file).fetchall()] \
                    if candidate_rows else []
                ids = [c for c in candidates if id_number_is_valid(c)]
                if ids:
                    rows = con.execute(f"select count(*) from {source} where list_has_any("
                                       f"[regexp_extract({col}, {patterns['id']}, 2)], $ids)",
                                       {**file, "ids": ids}).fetchone()[0]
                    findings.append(Finding(path.name, name, "resident ID number", rows,
                                            [mask(v) for v in ids[:SAMPLES]]))
                for label, hits, samples in (("mobile phone number", mobiles, mobile_samples),
                                             ("landline phone number", landlines, landline_samples)):
                    if hits:
                        findings.append(Finding(path.name, name, label, hits, [mask(v) for v in samples]))
    finally:
        con.close()
    return findings


def markdown(findings: list[Finding]) -> str:
    return markdown_table([{"file": f.file, "column": f.column, "found": f.kind,
                            "rows": f.rows if f.rows >= 0 else None,
                            "samples (masked)": ", ".join(f.samples)} for f in findings])
