"""Writes a complete sources root (SOURCES.md) for a seed, streaming the population in chunks."""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from .files import (
    CnipaWriter,
    Context,
    EcoWriter,
    GridWriter,
    HrssStore,
    LandWriter,
    MiitWriter,
    MostWriter,
    StatsWriter,
    TaxWriter,
)
from .geography import REGIONS
from .population import Population
from .samr import SamrWriter
from .truth import Truth

GENERATED_DIRS = ("samr", "tax", "stats", "miit", "hrss", "grid", "eco", "most", "cnipa", "land", "_truth", "_hrss_api")
ENTERPRISE_SCHEMA = pa.schema([
    ("pripid", pa.string()), ("uscc", pa.string()), ("uscc_pilot", pa.bool_()), ("org_code", pa.string()),
    ("regno", pa.string()), ("name", pa.string()), ("former_name", pa.string()), ("category", pa.string()),
    ("enttype", pa.string()), ("status", pa.string()), ("industry", pa.string()), ("region", pa.string()),
    ("park", pa.string()), ("revenue", pa.float64()), ("employees", pa.int64()), ("industrial", pa.bool_()),
])


def simulator_version() -> str:
    """A digest of the simulator's own code: roots written by different code are different data (a cached root
    is reused only when it matches)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def month_list(year: int, months: int) -> list[str]:
    """The `months` months ending with December of `year`, as YYYYMM."""
    out = []
    y, m = year, 12
    for _ in range(months):
        out.append(f"{y}{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return sorted(out)


def generate(out: Path, enterprises: int, seed: int, year: int = 2025, months: int = 15,
             samr_url: str | None = None, chunk_size: int = 50_000, progress: bool = True) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for d in GENERATED_DIRS:
        if (out / d).exists():
            shutil.rmtree(out / d)
    (out / "hrss").mkdir()
    started = time.perf_counter()
    month_ids = month_list(year, months)
    truth = Truth(out)
    ctx = Context(out, seed, year, month_ids, truth)
    population = Population(seed, year)
    samr = SamrWriter(out, samr_url, seed, year)
    tax, grid, hrss = TaxWriter(ctx), GridWriter(ctx), HrssStore(ctx)
    stats, miit, most, eco, cnipa, land = (StatsWriter(ctx), MiitWriter(ctx), MostWriter(ctx), EcoWriter(ctx),
                                           CnipaWriter(ctx), LandWriter(ctx))
    enterprises_writer = pq.ParquetWriter(out / "_truth" / "enterprises.parquet", ENTERPRISE_SCHEMA, compression="zstd")
    bar = tqdm(total=enterprises, unit="ent", desc="generating", disable=not progress, mininterval=1.0)
    for index, start in enumerate(range(0, enterprises, chunk_size)):
        n = min(chunk_size, enterprises - start)
        chunk = population.chunk(index, start, n)
        ext = population.external(index, max(1, n // 30), chunk, locals_end=enterprises)
        samr.add(index, chunk, truth)
        tax.add(index, chunk, ext)
        grid.add(index, chunk)
        hrss.add(index, chunk)
        stats.add(index, chunk)
        miit.add(index, chunk)
        most.add(index, chunk)
        eco.add(index, chunk)
        cnipa.add(index, chunk, ext)
        land.add(index, chunk, ext)
        enterprises_writer.write_table(pa.table({
            "pripid": chunk.pripid, "uscc": chunk.uscc, "uscc_pilot": chunk.uscc_pilot, "org_code": chunk.org_code,
            "regno": chunk.regno, "name": chunk.name, "former_name": chunk.former_name, "category": chunk.category,
            "enttype": chunk.enttype, "status": chunk.status, "industry": chunk.industry,
            "region": [REGIONS[r].code for r in chunk.region], "park": chunk.park, "revenue": chunk.revenue,
            "employees": chunk.employees, "industrial": chunk.industrial,
        }, schema=ENTERPRISE_SCHEMA))
        bar.update(n)
    bar.close()
    for w in (samr, tax, grid, hrss, stats, miit, most, eco, cnipa, land):
        w.close()
    enterprises_writer.close()
    truth.close()
    summary = {
        "enterprises": enterprises, "seed": seed, "year": year, "months": month_ids, "simulator": simulator_version(),
        "seconds": round(time.perf_counter() - started, 1), "files": summarize(out),
    }
    # not a delivery: a leading underscore keeps it out of every reader's way
    (out / "_truth" / "generation.json").write_text(json.dumps(
        {k: v for k, v in summary.items() if k != "seconds"}, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8")
    return summary


def summarize(root: Path) -> dict[str, dict]:
    """Per department folder: delivered files and bytes."""
    out = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        files = [f for f in d.iterdir() if f.is_file() and not f.name.startswith(("_", "."))]
        out[d.name] = {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}
    return out
