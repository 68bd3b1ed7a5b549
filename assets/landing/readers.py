"""Readers: one per delivery format. Each returns the delivery's records as raw text columns.

A reader fails (LandingError) only when the delivery cannot be read as a whole; anything wrong with
single records is left for typing to quarantine. Rows the parser itself could not split into the
declared columns (a truncated last line, say) come back as `malformed` records, never dropped.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from contracts.sources import Dataset

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class LandingError(Exception):
    """A delivery that cannot be read as a whole: names the file, the problem and what was expected."""


@dataclass
class RawDelivery:
    table: pa.Table  # _source_row + one VARCHAR column per declared field (landed names), or _line for JSON
    malformed: list[tuple[int | None, str, str]] = field(default_factory=list)  # (row, raw text, reason)
    unknown_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    file_stat: dict | None = None  # size and mtime of a file delivery, recorded with it


def check_text_container(path: Path, data: bytes, encoding: str) -> None:
    if not data:
        raise LandingError(f"{path}: the file is empty (0 bytes); expected a {encoding} text file with a header row")
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        raise LandingError(f"{path}: this is an Excel workbook (zip/OLE container), not a text file; expected "
                           f"{encoding} CSV text")


def check_not_utf8(path: Path, data: bytes) -> None:
    """Chinese GBK text is almost never valid UTF-8: a GBK-declared file that is, is a UTF-8 delivery mislabelled."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if any(b >= 0x80 for b in data[:65536]):
        raise LandingError(f"{path}: the file is UTF-8 encoded; expected GBK (as SOURCES.md declares)")


def decode(path: Path, data: bytes, encoding: str) -> str:
    """Strictly decode a text delivery; a wrong encoding fails the delivery with a clear message."""
    check_text_container(path, data, encoding)
    if encoding == "gbk":
        check_not_utf8(path, data)
        try:
            return data.decode("gb18030")  # a superset of GBK: the same bytes decode to the same text
        except UnicodeDecodeError as e:
            raise LandingError(f"{path}: not valid GBK at byte {e.start}; expected a GBK-encoded file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LandingError(f"{path}: not valid UTF-8 at byte {e.start} (GBK?); expected a UTF-8 file") from None
    return text.removeprefix("\ufeff")


def _header(path: Path, text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first]), [])
    if not any(h.strip() for h in header):
        raise LandingError(f"{path}: the first line is not a header row; expected a header")
    return [h.strip().lstrip("\ufeff") for h in header]


def check_columns(path: Path, ds: Dataset, header: list[str]) -> tuple[list[str], list[str]]:
    declared = [f.source for f in ds.fields]
    missing = [f.source for f in ds.required if f.source not in header]
    if missing:
        raise LandingError(f"{path}: missing required column(s) {', '.join(missing)}; expected columns "
                           f"{', '.join(declared)}")
    if len(set(header)) != len(header):
        raise LandingError(f"{path}: duplicate column names in the header {header}")
    unknown = [h for h in header if h not in declared]
    missing_optional = [c for c in declared if c not in header]
    return unknown, missing_optional


def _parse_csv(data: bytes, header: list[str], threads: bool, encoding: str
               ) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        bad.append((row.number, row.text))
        return "skip"

    table = pv.read_csv(
        io.BytesIO(data),
        read_options=pv.ReadOptions(column_names=header, skip_rows=1, use_threads=threads, block_size=1 << 24,
                                    encoding=encoding),
        parse_options=pv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pv.ConvertOptions(column_types={h: pa.string() for h in header}, strings_can_be_null=False,
                                          quoted_strings_can_be_null=False),
    )
    return table, bad


def read_csv(path: Path, ds: Dataset, data: bytes) -> RawDelivery:
    encoding = ds.encoding or "utf-8"
    check_text_container(path, data, encoding)
    # pyarrow parses the bytes as they are: UTF-8 validated by the parser, GBK decoded by the gb18030 codec (a
    # superset of GBK) while the parser runs; CPython's decode() runs only to name a failure
    arrow_encoding = "gb18030" if encoding == "gbk" else "utf8"
    if encoding == "gbk":
        check_not_utf8(path, data)
    else:
        data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        header = _header(path, data[:65536].split(b"\n", 1)[0].decode(arrow_encoding))
    except UnicodeDecodeError:
        decode(path, data, encoding)
        raise
    unknown, missing_optional = check_columns(path, ds, header)
    try:
        table, bad = _parse_csv(data, header, threads=True, encoding=arrow_encoding)
        if bad:  # only the single-threaded parser knows the line number of a row it cannot split
            table, bad = _parse_csv(data, header, threads=False, encoding=arrow_encoding)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        decode(path, data, encoding)  # raises the clear error when the bytes are not valid text
        raise
    # line numbers of the good rows: the lines not taken by the bad ones (header is line 1)
    total = table.num_rows + len(bad)
    taken = {n for n, _ in bad if n is not None}
    lines = (np.array([n for n in range(2, total + 2) if n not in taken], dtype=np.int64) if taken
             else np.arange(2, table.num_rows + 2, dtype=np.int64))
    columns = {"_source_row": pa.array(lines)}
    for f in ds.fields:
        columns[f.name] = table.column(f.source) if f.source in header else pa.nulls(table.num_rows, pa.string())
    malformed = [(n, t, f"row has a different number of fields than the header's {len(header)} "
                        f"(truncated or broken line)") for n, t in bad]
    return RawDelivery(pa.table(columns), malformed, unknown, missing_optional)


def read_jsonl(path: Path, ds: Dataset, data: bytes) -> RawDelivery:
    if data.startswith(ZIP_MAGIC):
        raise LandingError(f"{path}: this is a zip/xlsx container, not JSON Lines; expected UTF-8 JSON Lines")
    try:  # Arrow validates the UTF-8 and splits the lines; CPython decodes only to name a failure
        text = pa.array([data.removeprefix(b"\xef\xbb\xbf")], pa.large_binary()).cast(pa.large_string())
    except pa.ArrowInvalid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise LandingError(f"{path}: not valid UTF-8 at byte {e.start}; expected UTF-8 JSON Lines") from None
        raise
    stripped = pc.utf8_trim_whitespace(pc.list_flatten(pc.split_pattern(text, "\n")))
    numbers = np.arange(1, len(stripped) + 1, dtype=np.int64)
    keep = pc.not_equal(stripped, "")
    blank = len(stripped) - pc.sum(keep.cast(pa.int64())).as_py()
    table = pa.table({"_source_row": pa.array(numbers), "_line": stripped}).filter(keep)
    return RawDelivery(table, notes={"blank_lines": blank})


def _cell_text(v) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


TOTAL_WORDS = ("合计", "总计", "总合计", "全部合计")
UNIT_CODE = re.compile(r"[0-9A-Za-z]{18}|[0-9A-Za-z]{9}")  # a USCC, or an organization code without its hyphen
NOTE_PREFIX = re.compile(r"^(注|说明|备注|资料来源)\s*[0-9一二三四五六七八九十]*\s*[:：.、]|^注$")


def is_total_or_note(cells: list[str | None], key_col: int) -> bool:
    """A 合计 row or a 注 row of a statistics workbook, in whichever column the bureau wrote the word: never a unit's
    row, which has its code in the key column (a unit named 注塑... has one, and no colon after 注)."""
    key = (cells[key_col] or "").strip() if key_col < len(cells) else ""
    texts = [re.sub(r"\s+", "", c) for c in cells if c]
    if any(t in TOTAL_WORDS for t in texts) and (not key or key.replace(" ", "") in TOTAL_WORDS):
        return True
    first = next((c.strip() for c in cells if c and c.strip()), "")
    return bool(NOTE_PREFIX.match(first)) and (not key or first == key)


def read_xlsx(path: Path, ds: Dataset, data: bytes) -> RawDelivery:
    """S3's layout: title row, a two-level header (rows 2-3), a units line (row 4), data, 合计, 注 rows."""
    from python_calamine import CalamineWorkbook

    if not data.startswith(ZIP_MAGIC):
        raise LandingError(f"{path}: not an xlsx workbook (no zip container); expected an .xlsx file")
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - calamine raises its own error types
        raise LandingError(f"{path}: cannot be opened as an xlsx workbook ({e}); expected an .xlsx file") from None
    sheet = ds.extra["sheet"]
    if sheet not in wb.sheet_names:
        raise LandingError(f"{path}: no sheet named {sheet}; the workbook has {wb.sheet_names}")
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if len(rows) < 4:
        raise LandingError(f"{path}: sheet {sheet} has {len(rows)} rows; expected a title, a two-row header and a "
                           f"units line before the data")
    units = " ".join(str(c) for c in rows[3] if c not in (None, "")).replace("：", ":")
    money_unit = ds.extra["money_unit"]
    if money_unit not in units or "万元" in units:
        raise LandingError(f"{path}: the units line (row 4) says {units!r}; expected {'单位:' + money_unit} "
                           f"(the money columns are declared in {money_unit})")
    top, sub = rows[1], rows[2]
    header = []
    group = None
    for c in range(max(len(top), len(sub))):
        t = _cell_text(top[c]) if c < len(top) else None
        s = _cell_text(sub[c]) if c < len(sub) else None
        group = t or group
        name = (s or t or "").strip()
        # a sub-header may carry its unit: 从业人员期末人数(人)
        for bracket in ("(", "（"):
            name = name.split(bracket)[0].strip()
        header.append(name)
    unknown, missing_optional = check_columns(path, ds, [h for h in header if h])
    body = rows[ds.extra["first_data_row"] - 1:]
    records, trailer, blank = [], 0, 0
    key_col = header.index(ds.fields[0].source)
    in_trailer = False
    for i, row in enumerate(body, start=ds.extra["first_data_row"]):
        cells = [_cell_text(v) for v in row]
        if not any(cells):
            blank += 1
            continue
        # the layout is data, then 合计, then 注 rows (a note may run on to lines of its own, "2.…"); after them only a
        # row with a unit's code is data again, and it is kept, never dropped
        key = (cells[key_col] or "") if key_col < len(cells) else ""
        if is_total_or_note(cells, key_col) or (in_trailer and not UNIT_CODE.fullmatch(re.sub(r"[\s-]", "", key))):
            in_trailer = True
            trailer += 1
            continue
        records.append((i, cells))
    columns = {"_source_row": pa.array([i for i, _ in records], pa.int64())}
    for f in ds.fields:
        if f.source in header:
            c = header.index(f.source)
            columns[f.name] = pa.array([cells[c] if c < len(cells) else None for _, cells in records], pa.string())
        else:
            columns[f.name] = pa.nulls(len(records), pa.string())
    return RawDelivery(pa.table(columns), [], unknown, missing_optional,
                       {"units_line": units, "total_and_note_rows": trailer, "blank_rows": blank})
