"""S2-S10: the departments' file deliveries (and the S5 API's backing store), written per SOURCES.md."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import codes
from .drift import written_code, written_name
from .geography import REGIONS
from .names import OMITTED, UNIVERSITIES, person_names, render, sub_organisation
from .population import Chunk, industry_name, scrambled, to_date
from .truth import Truth

SEASONAL = np.array([0.80, 0.78, 1.00, 1.00, 1.02, 1.05, 1.02, 1.00, 1.05, 1.02, 1.08, 1.18])
LATE_FILING_P = 0.004  # a return filed after its month closed arrives in the next month's delivery
STOPPED_METERING_P = 0.01  # a factory that stops producing (its meter closed) while it goes on invoicing sales
LATE_INSURANCE_CLOSE_P = 0.3  # a deregistered employer still paying social insurance for a month or three
EXTERNAL_LAND_P = 0.08  # an enterprise registered elsewhere that holds a parcel in one of the parks
HEADCOUNT_ELASTICITY = 0.6  # headcount follows the business's trend, damped: staff are shed later than sales fall


def trend(growth: np.ndarray, year: int, month: str) -> np.ndarray:
    """An enterprise's monthly level relative to its average over `year`, its yearly growth (revenue(year) /
    revenue(year - 1)) spread evenly over the months: the same month a year earlier is lower by exactly `growth`, so
    a shrinking business shows year on year in its tax, its power and its payroll together."""
    months_from_mid_year = (int(month[:4]) - year) * 12 + int(month[4:]) - 6.5
    return growth ** (months_from_mid_year / 12)


def month_bounds(ym: str) -> tuple[np.datetime64, np.datetime64]:
    start = np.datetime64(f"{ym[:4]}-{ym[4:]}-01")
    end = (start.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    return start, end


def active_in(c_est: np.ndarray, c_can: np.ndarray, status: list[str], start, end) -> np.ndarray:
    """Operating at some point of [start, end]: founded by then, not closed before, not revoked."""
    not_revoked = np.array([s not in "25" for s in status])
    open_ = np.isnat(c_can) | (c_can >= start)
    return (c_est <= end) & open_ & not_revoked


def active_in_window(c: Chunk, months: list[str]) -> np.ndarray:
    """Active in at least one delivered month: only those owners appear in a monthly source."""
    start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    return active_in(c.est_date, c.can_date, c.status, start, end)


def legacy_taxpayer_number(c: Chunk, i: int) -> str:
    """税务登记号: the issuing tax office's division + the organization code."""
    return c.tax_division[i] + c.org_code[i]


def fmt_amount(values: np.ndarray, separators: np.ndarray) -> list[str]:
    out = np.char.mod("%.2f", np.round(values, 2)).tolist()
    for i in np.flatnonzero(separators).tolist():
        out[i] = f"{values[i]:,.2f}"
    return out


def fmt_date(d: dt.date | None, style: float) -> str:
    if d is None:
        return ""
    if style < 0.05:
        return d.strftime("%Y/%m/%d")
    if style < 0.08:
        return d.strftime("%Y%m%d")
    return d.isoformat()


class CsvFile:
    """A delivery written in chunks: the header once, then rows appended, in the declared encoding."""

    def __init__(self, path: Path, header: list[str], encoding: str, bom: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.encoding = path, encoding
        with path.open("wb") as fh:
            fh.write((b"\xef\xbb\xbf" if bom else b"") + self._encode([header]))

    def _encode(self, rows) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n" if self.encoding == "gbk" else "\n").writerows(rows)
        return buf.getvalue().encode(self.encoding)

    def append(self, rows) -> None:
        if rows:
            with self.path.open("ab") as fh:
                fh.write(self._encode(rows))


class Context:
    """What every writer shares: the output root, the seed, the months and years, the truth."""

    def __init__(self, root: Path, seed: int, year: int, months: list[str], truth: Truth):
        self.root, self.seed, self.year, self.months, self.truth = root, seed, year, months, truth

    def rng(self, source: int, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 100 + source, index])



# --------------------------------------------------------------------------------------------- S2 tax
class TaxWriter:
    HEADER = ["纳税人识别号", "纳税人名称", "所属期", "增值税", "企业所得税", "其他税费", "税收合计", "销售收入",
              "主管税务机关"]

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.files = {m: CsvFile(ctx.root / "tax" / f"税收_{m}.csv", self.HEADER, "gbk") for m in ctx.months}
        # each delivery has its own habits: some write 2025-03 instead of 202503, some 1,234.56
        self.period_style = {m: (f"{m[:4]}-{m[4:]}" if k % 3 == 1 else m) for k, m in enumerate(ctx.months)}
        self.separators = {m: k % 3 == 0 for k, m in enumerate(ctx.months)}

    def add(self, index: int, c: Chunk, ext: dict) -> None:
        ctx, rng = self.ctx, self.ctx.rng(2, index)
        n = len(c)
        files_tax = np.array([cat != "individual" for cat in c.category]) | (rng.random(n) < 0.3)
        files_tax &= active_in_window(c, ctx.months)
        keys: list[str | None] = [None] * n
        names: list[str | None] = [None] * n
        for i in np.flatnonzero(files_tax).tolist():
            legacy = legacy_taxpayer_number(c, i)
            for _ in range(3):
                # an enterprise that moved here keeps, in the tax office's records, the number it came with
                boost = 0.3 if c.tax_division[i] != REGIONS[c.region[i]].code else 0.03
                key, variant = written_code(rng, c.uscc[i], legacy, bool(c.uscc_pilot[i]), legacy_rate_boost=boost)
                if key and ctx.truth.claim("tax", key.strip()):
                    break
            else:
                continue
            name, kinds = written_name(rng, c, i, encoding="gbk")
            keys[i], names[i] = key, name
            ctx.truth.add("tax", key.strip(), c.pripid[i], "local_enterprise", variant, kinds)
        # enterprises registered elsewhere that pay tax here: under their USCC, a few under their legacy number,
        # some with the division left out of the name (then only the code tells them from a local namesake)
        ext_n = len(ext["uscc"])
        ext_files = rng.random(ext_n) < 0.5
        ext_keys: list[str | None] = [None] * ext_n
        ext_names: list[str | None] = [None] * ext_n
        for j in np.flatnonzero(ext_files).tolist():
            legacy = rng.random() < 0.1
            key = ext["legacy"][j] if legacy else ext["uscc"][j]
            if ctx.truth.claim("tax", key):
                kinds = ("division_dropped",) if rng.random() < 0.3 else ()
                ext_keys[j] = key
                ext_names[j] = (render(ext["parts"][j]._replace(position=OMITTED, division=None)) if kinds
                                else ext["name"][j])
                ctx.truth.add("tax", key, None, "external_enterprise", "legacy" if legacy else "exact", kinds)
            else:
                ext_files[j] = False
        taxable = np.array([k is not None for k in keys])
        vat_rate = np.where(c.industrial, 0.028, 0.022) * np.exp(rng.normal(0, 0.2, n))
        office = [REGIONS[r].tax_office for r in c.region]
        late: list[tuple] = []  # the previous month's returns filed late: delivered with this month
        for k, m in enumerate(ctx.months):
            start, end = month_bounds(m)
            mi = int(m[4:]) - 1
            act = taxable & active_in(c.est_date, c.can_date, c.status, start, end)
            idx = np.flatnonzero(act)
            rev = (c.revenue[idx] / 12 * SEASONAL[mi] * trend(c.growth[idx], ctx.year, m)
                   * np.exp(rng.normal(0, 0.15, len(idx))))
            vat = rev * vat_rate[idx]
            cit = np.maximum(rev * c.margin[idx] * 0.25, 0)
            if mi == 4:  # annual settlement in May: some enterprises get refunds
                refund = rng.random(len(idx)) < 0.08
                cit = np.where(refund, -np.abs(rev * 0.01 * rng.random(len(idx))), cit)
            other = rev * 0.004 * np.exp(rng.normal(0, 0.3, len(idx)))
            total = np.round(vat, 2) + np.round(cit, 2) + np.round(other, 2)
            suspect = rng.random(len(idx)) < 0.003
            total = np.where(suspect, total + rng.uniform(5, 5000, len(idx)), total)
            sep = (rng.random(len(idx)) < 0.25) if self.separators[m] else np.zeros(len(idx), bool)
            cols = [fmt_amount(a, sep) for a in (vat, cit, other, total, rev)]
            period = self.period_style[m]
            rows = [(keys[i], names[i], period, *vals, office[i]) for i, *vals in zip(idx.tolist(), *cols, strict=True)]
            # a few returns arrive with the next month's delivery, still for their own period (none of the last
            # month's: the delivery after it is outside the window)
            filed_late = (rng.random(len(rows)) < LATE_FILING_P) & (k < len(ctx.months) - 1)
            rows, late = late + [r for r, f in zip(rows, filed_late.tolist(), strict=True) if not f], [
                r for r, f in zip(rows, filed_late.tolist(), strict=True) if f]
            # external enterprises that pay tax here
            eidx = np.flatnonzero(ext_files)
            erev = ext["revenue"][eidx] / 12 * 0.1
            evat, eoth = erev * 0.03, erev * 0.004
            zero = np.zeros(len(eidx), bool)
            amounts = (fmt_amount(evat, zero), fmt_amount(eoth, zero), fmt_amount(erev, zero))
            for j, v, o, r in zip(eidx.tolist(), *amounts, strict=True):
                tot = f"{float(v) + float(o):.2f}"
                rows.append((ext_keys[j], ext_names[j], period, v, "0.00", o, tot, r, office[0]))
            dup = [rows[k] for k in np.flatnonzero(rng.random(len(rows)) < 0.005).tolist()]
            self.files[m].append(rows + dup)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------- S6 grid
class GridWriter:
    HEADER = ["户号", "户名", "用电地址", "用电类别", "电压等级", "抄表年月", "有功电量", "电费"]
    PRICE = {"大工业": 0.65, "一般工商业": 0.75, "居民": 0.58, "农业": 0.50}

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.files = {m: CsvFile(ctx.root / "grid" / f"用电量_{m}.csv", self.HEADER, "utf-8") for m in ctx.months}

    def add(self, index: int, c: Chunk) -> None:
        ctx, rng = self.ctx, self.ctx.rng(6, index)
        n = len(c)
        acct_owner, acct_name, acct_addr, acct_cat, acct_volt, acct_share, acct_until = [], [], [], [], [], [], []
        window_start = np.datetime64(month_bounds(ctx.months[0])[0], "D")
        window_days = int((np.datetime64(month_bounds(ctx.months[-1])[1], "D") - window_start).astype(int))
        for i in range(n):
            cat = c.category[i]
            if c.status[i] in "25":
                continue
            reg = REGIONS[c.region[i]]
            if cat == "individual":
                k = 1 if rng.random() < 0.7 else 0
            elif cat == "coop":
                k = 1
            elif c.industrial[i]:
                k = 1 + int(rng.poisson(0.6 if c.revenue[i] > 2e7 else 0.2))
            else:
                k = 1 if rng.random() < 0.8 else 0
            # a canteen or the trade union of a larger enterprise may hold a meter in its own name
            sub_org = k > 0 and cat in ("company", "nonco") and c.employees[i] >= 30 and rng.random() < 0.06
            k += int(sub_org)
            shares = rng.dirichlet(np.ones(k) * 3) if k else []
            # a closed enterprise's meter often keeps running under the old name for a while (until the grid
            # closes the account or a new tenant takes it over)
            until = c.can_date[i]
            if not np.isnat(until) and rng.random() < 0.4:
                until = until + np.timedelta64(int(rng.integers(30, 720)), "D")
            elif np.isnat(until) and c.industrial[i] and rng.random() < STOPPED_METERING_P:
                until = window_start + np.timedelta64(int(rng.integers(0, window_days)), "D")
            for a in range(k):
                kinds: tuple[str, ...] = ()
                if cat == "individual" and rng.random() < 0.4:
                    holder, kind = c.lerep[i], "person"
                elif sub_org and a == k - 1:
                    name, kinds = written_name(rng, c, i, "light")
                    holder, kind = sub_organisation(rng, name), "sub_organisation"
                elif a == 0:  # the main account, sometimes already named after the site it meters
                    holder, kinds = written_name(rng, c, i, site=bool(c.industrial[i]) and rng.random() < 0.05)
                    kind = "enterprise"
                else:  # further meters: named after their site
                    holder, kinds = written_name(rng, c, i, site=True)
                    kind = "enterprise"
                addr = c.dom[i].replace(reg.province, "") if a == 0 else (
                    f"{reg.city}{reg.towns[int(rng.integers(0, len(reg.towns)))]}"
                    f"{reg.streets[int(rng.integers(0, len(reg.streets)))]}{int(rng.integers(1, 400))}号")
                big = c.industrial[i] and c.revenue[i] > 3e7
                ucat = "农业" if cat == "coop" else "大工业" if big else "一般工商业"
                volt = ("110kV" if c.revenue[i] > 5e8 else "35kV" if c.revenue[i] > 1.5e8 else "10kV") if big else (
                    "10kV" if c.revenue[i] > 5e6 else "0.4kV")
                acct_owner.append((i, kind, kinds))
                acct_name.append(holder)
                acct_addr.append(addr)
                acct_cat.append(ucat)
                acct_volt.append(volt)
                acct_share.append(float(shares[a]))
                acct_until.append(until)
        # residents' accounts: persons, never enterprises
        n_res = int(n * 0.05)
        res_names = person_names(rng, n_res)
        res_region = rng.integers(0, len(REGIONS), n_res)
        base_gid = int(c.gid[0]) * 3
        m_acct = len(acct_name)
        numbers = scrambled(np.arange(base_gid, base_gid + m_acct + n_res), 10**9, 77)
        account_no = [f"3{v:09d}" for v in numbers.tolist()]
        first, last = month_bounds(ctx.months[0])[0], month_bounds(ctx.months[-1])[1]
        for a, (i, kind, kinds) in enumerate(acct_owner):
            if c.est_date[i] > last or (not np.isnat(acct_until[a]) and acct_until[a] < first):
                continue
            if kind == "enterprise":
                ctx.truth.add("grid", account_no[a], c.pripid[i], "local_enterprise", None, kinds)
            else:
                ctx.truth.add("grid", account_no[a], None, kind, None, kinds)
        for r in range(n_res):
            ctx.truth.add("grid", account_no[m_acct + r], None, "person", None)
        owner_idx = np.array([i for i, *_ in acct_owner], dtype=np.int64)
        share = np.array(acct_share)
        until = np.array(acct_until, dtype="datetime64[D]")
        for m in ctx.months:
            start, end = month_bounds(m)
            mi = int(m[4:]) - 1
            if m_acct:
                est = c.est_date[owner_idx]
                act = (est <= end) & (np.isnat(until) | (until >= start))
                kwh_ent = np.maximum(c.revenue[owner_idx], 2e5) / 12 * c.energy_intensity[owner_idx] * share
                kwh_ent = (kwh_ent * SEASONAL[mi] * trend(c.growth[owner_idx], ctx.year, m)
                           * np.exp(rng.normal(0, 0.12, m_acct)))
                # after deregistration the meter still runs, at a trickle
                closed = ~np.isnat(c.can_date[owner_idx]) & (c.can_date[owner_idx] < start)
                kwh_ent = np.where(closed, kwh_ent * 0.15, kwh_ent)
            else:
                act = np.zeros(0, bool)
                kwh_ent = np.zeros(0)
            kwh_res = rng.gamma(4, 70, n_res) * (1.4 if mi in (0, 6, 7) else 1.0)
            rows = []
            for a in np.flatnonzero(act).tolist():
                kwh = round(float(kwh_ent[a]))
                rows.append((account_no[a], acct_name[a], acct_addr[a], acct_cat[a], acct_volt[a], m, kwh,
                             f"{kwh * self.PRICE[acct_cat[a]]:.2f}"))
            for r in range(n_res):
                reg = REGIONS[res_region[r]]
                kwh = round(float(kwh_res[r]))
                address = f"{reg.city}{reg.towns[r % len(reg.towns)]}{r % 97 + 1}幢"
                rows.append((account_no[m_acct + r], res_names[r], address, "居民", "0.22kV", m, kwh,
                             f"{kwh * 0.58:.2f}"))
            self.files[m].append(rows)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------ S5 hrss store
HRSS_SCHEMA = pa.schema([("dwbh", pa.string()), ("dwmc", pa.string()), ("tyshxydm", pa.string()),
                         ("cbrs", pa.int64()), ("jfjs", pa.string()), ("gxsj", pa.string())])


def hrss_period(ym: str) -> str:
    return f"{ym[:4]}-{ym[4:]}"


class HrssStore:
    """The data behind the HRSS API, in `_hrss_api/` (a leading `_`: not a delivery, never read as one)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.dir = ctx.root / "_hrss_api"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.writers = {m: pq.ParquetWriter(self.dir / f"employers_{hrss_period(m)}.parquet", HRSS_SCHEMA)
                        for m in ctx.months}
        self.institutions_done = False

    def add(self, index: int, c: Chunk) -> None:
        ctx, rng = self.ctx, self.ctx.rng(5, index)
        n = len(c)
        employer = (np.array([cat != "individual" for cat in c.category]) | (c.employees > 2)) & (c.employees > 0)
        employer &= (rng.random(n) < 0.93) & active_in_window(c, ctx.months)
        idx = np.flatnonzero(employer)
        dwbh = [f"{REGIONS[c.region[i]].code}{v:08d}"
                for i, v in zip(idx.tolist(), scrambled(c.gid[idx], 10**8, 5).tolist(), strict=True)]
        names, codes_ = [], []
        for k, i in enumerate(idx.tolist()):
            name, kinds = written_name(rng, c, i, "light")
            code = c.uscc[i] if rng.random() < 0.85 else None
            if code and rng.random() < 0.02:
                code = code.lower()
            names.append(name)
            codes_.append(code)
            ctx.truth.add("hrss", dwbh[k], c.pripid[i], "local_enterprise",
                          "missing" if code is None else "exact" if code == c.uscc[i] else "lower", kinds)
        coverage = np.clip(rng.normal(0.85, 0.12, len(idx)), 0.3, 1.0)
        wage_base = np.exp(rng.normal(np.log(6500), 0.3, len(idx)))
        # the social-insurance account of a deregistered employer is sometimes closed months after the registry's
        insured_until = c.can_date[idx] + np.where(rng.random(len(idx)) < LATE_INSURANCE_CLOSE_P,
                                                   rng.integers(31, 100, len(idx)), 0).astype("timedelta64[D]")
        inst = self._institutions() if not self.institutions_done else None
        self.institutions_done = True
        for m in ctx.months:
            start, end = month_bounds(m)
            act = active_in(c.est_date[idx], insured_until, [c.status[i] for i in idx.tolist()], start, end)
            sel = np.flatnonzero(act)
            noise = (np.exp(rng.normal(0, 0.03, len(sel)))
                     * trend(c.growth[idx][sel], ctx.year, m) ** HEADCOUNT_ELASTICITY)
            cbrs = np.maximum(1, np.round(c.employees[idx][sel] * coverage[sel] * noise)).astype(np.int64)
            jfjs = np.char.mod("%.2f", np.round(cbrs * wage_base[sel], 2)).tolist()
            stamp = f"{str(end)}T{int(rng.integers(8, 18)):02d}:{int(rng.integers(0, 60)):02d}:00+08:00"
            table = pa.table({
                "dwbh": [dwbh[k] for k in sel.tolist()], "dwmc": [names[k] for k in sel.tolist()],
                "tyshxydm": [codes_[k] for k in sel.tolist()], "cbrs": cbrs, "jfjs": jfjs,
                "gxsj": [stamp] * len(sel),
            }, schema=HRSS_SCHEMA)
            if inst is not None:
                table = pa.concat_tables([table, inst.set_column(5, "gxsj", pa.array([stamp] * inst.num_rows))])
            self.writers[m].write_table(table)

    def _institutions(self) -> pa.Table:
        rows = {f.name: [] for f in HRSS_SCHEMA}
        for k, (name, prefix) in enumerate(UNIVERSITIES):
            dwbh = f"{prefix[2:]}9{k:07d}"
            rows["dwbh"].append(dwbh)
            rows["dwmc"].append(name)
            rows["tyshxydm"].append(institution_uscc(k))
            rows["cbrs"].append(300 + 97 * k)
            rows["jfjs"].append(f"{(300 + 97 * k) * 9000:.2f}")
            rows["gxsj"].append("")
            self.ctx.truth.add("hrss", dwbh, None, "institution", "exact")
        return pa.table(rows, schema=HRSS_SCHEMA)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def institution_uscc(k: int) -> str:
    name, prefix = UNIVERSITIES[k]
    body = f"{40_000_000 + k * 131:08d}"
    return codes.make_uscc(prefix[0], prefix[1], prefix[2:], body + codes.org_check_char(body))


# ------------------------------------------------------------------------------------------ S3 stats
STATS_COLUMNS = ["单位代码", "单位详细名称", "行业代码", "工业总产值", "营业收入", "工业增加值", "研发费用",
                 "从业人员期末人数", "综合能源消费量"]


class StatsWriter:
    """Rows are collected (about 1 in 25 entities) and written as one workbook per year at the end."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.years = [ctx.year - 1, ctx.year]
        self.rows: dict[int, list] = {y: [] for y in self.years}

    def add(self, index: int, c: Chunk) -> None:
        ctx, rng = self.ctx, self.ctx.rng(3, index)
        n = len(c)
        va_ratio = np.clip(rng.normal(0.25, 0.05, n), 0.1, 0.45)
        rd_ratio = np.clip(rng.gamma(1.5, 0.018, n), 0, 0.15)
        for y in self.years:
            rev = c.revenue if y == ctx.year else c.revenue / c.growth
            eligible = c.industrial & (rev >= 2e7) & active_in(
                c.est_date, c.can_date, c.status, np.datetime64(f"{y}-01-01"), np.datetime64(f"{y}-12-31"))
            eligible &= np.isnat(c.can_date) | (c.can_date >= np.datetime64(f"{y}-12-31"))
            for i in np.flatnonzero(eligible).tolist():
                old = c.est_date[i] < np.datetime64("2015-10-01")
                u = rng.random()
                if c.uscc[i] is None or (old and u < 0.08):
                    key = (c.org_code[i][:8] + "-" + c.org_code[i][8]) if rng.random() < 0.7 else c.org_code[i]
                    variant = "legacy"
                else:
                    key, variant = written_code(rng, c.uscc[i], None, bool(c.uscc_pilot[i]))
                name, kinds = written_name(rng, c, i, "light")
                output = rev[i] * rng.normal(1.02, 0.03) / 1000
                tce = rev[i] * c.energy_intensity[i] * 0.0001229 * rng.normal(1.3, 0.1)
                self.rows[y].append((key, name, c.industry[i], round(output, 1), round(rev[i] / 1000, 1),
                                     round(output * va_ratio[i], 1), round(rev[i] * rd_ratio[i] / 1000, 1),
                                     int(c.employees[i]), round(tce, 2)))
                if ctx.truth.claim("stats", key.strip()):
                    ctx.truth.add("stats", key.strip(), c.pripid[i], "local_enterprise", variant, kinds)

    def close(self) -> None:
        import xlsxwriter

        for y, rows in self.rows.items():
            path = self.ctx.root / "stats" / f"规上工业企业主要指标_{y}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            wb = xlsxwriter.Workbook(str(path))  # not constant_memory: it drops merges of flushed rows
            wb.set_properties({"created": dt.datetime(y + 1, 3, 31, 9, 0, 0), "author": "统计局"})
            ws = wb.add_worksheet("主要指标")
            center = wb.add_format({"align": "center", "valign": "vcenter", "bold": True})
            ws.merge_range(0, 0, 0, 8, f"{y}年规模以上工业企业主要经济指标", center)
            for col in range(3):  # columns without a group: name in row 2 merged down into row 3
                ws.merge_range(1, col, 2, col, STATS_COLUMNS[col], center)
            ws.merge_range(1, 3, 1, 6, "主要经济指标", center)
            ws.merge_range(1, 7, 1, 8, "其他指标", center)
            for col in range(3, 9):
                unit = "(人)" if col == 7 else "(吨标准煤)" if col == 8 else ""
                ws.write(2, col, STATS_COLUMNS[col] + unit, center)
            ws.merge_range(3, 0, 3, 8, "单位:千元")
            r = 4
            for row in rows:
                ws.write_row(r, 0, row)
                r += 1
            totals = [round(sum(x[k] for x in rows), 1) for k in range(3, 9)]
            ws.write_row(r, 0, ["合计", "", "", *totals])
            ws.write(r + 1, 0, "注:1.本表统计范围为年主营业务收入2000万元及以上的工业法人单位。")
            ws.write(r + 2, 0, "注:2.单位代码为统一社会信用代码，未换证单位填写组织机构代码。")
            wb.close()


# ------------------------------------------------------------------------------------------ S4 miit
MIIT_TYPES = (
    # type, level choices, share of eligible enterprises, minimum revenue, has expiry
    ("专精特新中小企业", ("省级",), 0.05, 5e6, True),
    ('专精特新"小巨人"企业', ("国家级",), 0.008, 5e7, True),
    ("省级智能工厂", ("省级",), 0.006, 1e8, False),
    ("两化融合贯标企业", ("国家级", "省级"), 0.012, 2e7, False),
    ("星级上云企业", ("省级", "市级"), 0.025, 1e6, False),
    ("上市企业", ("国家级",), 0.004, 5e8, False),
    ("上市后备企业", ("省级", "市级"), 0.01, 1e8, False),
)


TECH_ONLY = ("专精特新中小企业", '专精特新"小巨人"企业', "省级智能工厂", "两化融合贯标企业")
TECH_DIVISIONS = ("63", "64", "65", "73", "75")


class MiitWriter:
    HEADER = ["企业名称", "统一社会信用代码", "认定类型", "级别", "认定年度", "有效期至"]

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.file = CsvFile(ctx.root / "miit" / "企业认定名单.csv", self.HEADER, "utf-8", bom=True)

    def add(self, index: int, c: Chunk) -> None:
        ctx, rng = self.ctx, self.ctx.rng(4, index)
        rows = []
        eligible = np.array([cat == "company" and s == "1" for cat, s in zip(c.category, c.status, strict=True)])
        for i in np.flatnonzero(eligible).tolist():
            tech = c.industrial[i] or c.industry[i][:2] in TECH_DIVISIONS
            for kind, levels, share, min_rev, expires in MIIT_TYPES:
                if kind in TECH_ONLY and not tech:
                    continue
                if c.revenue[i] < min_rev or rng.random() > share * (3 if c.industrial[i] else 1):
                    continue
                name, kinds = written_name(rng, c, i)
                key = f"{kind}|{name.strip()}"
                if not ctx.truth.claim("miit", key):
                    continue
                code = ("" if rng.random() < 0.33 or c.uscc[i] is None
                        else written_code(rng, c.uscc[i], None, bool(c.uscc_pilot[i]))[0])
                year = int(rng.integers(ctx.year - 4, ctx.year + 1))
                until = f"{year + 3}-12-31" if expires else ""
                rows.append((name, code, kind, levels[int(rng.integers(0, len(levels)))], year, until))
                ctx.truth.add("miit", key, c.pripid[i], "local_enterprise", "missing" if not code else None, kinds)
        self.file.append(rows)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------ S8 most
TECH_FIELDS = {"39": "电子信息", "65": "电子信息", "64": "电子信息", "27": "生物与新医药", "35": "先进制造与自动化",
               "34": "先进制造与自动化", "30": "新材料", "26": "新材料", "28": "新材料", "38": "新能源与节能",
               "73": "高技术服务", "75": "高技术服务", "31": "新材料", "36": "先进制造与自动化", "44": "资源与环境"}


class MostWriter:
    HEADER = ["证书编号", "企业名称", "统一社会信用代码", "发证日期", "有效期", "技术领域"]

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.file = CsvFile(ctx.root / "most" / "高新技术企业名单.csv", self.HEADER, "utf-8")

    def add(self, index: int, c: Chunk) -> None:
        ctx, rng = self.ctx, self.ctx.rng(8, index)
        rows = []
        for i in range(len(c)):
            field = TECH_FIELDS.get(c.industry[i][:2])
            if not field or c.category[i] != "company" or c.revenue[i] < 3e6 or rng.random() > 0.18:
                continue
            reg = REGIONS[c.region[i]]
            first = int(rng.integers(self.ctx.year - 5, self.ctx.year + 1))
            for year in (first, first + 3):
                if year > ctx.year or np.datetime64(f"{year}-01-01") < c.est_date[i]:
                    continue
                serial = int(scrambled(c.gid[i] * 2 + (year - first) // 3, 10**6, year))
                cert = f"GR{year}{reg.province_code}{serial:06d}"
                if not ctx.truth.claim("most", cert):
                    continue
                name, kinds = written_name(rng, c, i, "light")
                code, variant = (written_code(rng, c.uscc[i], None, bool(c.uscc_pilot[i])) if c.uscc[i]
                                 else ("", "missing"))
                issued = dt.date(year, int(rng.integers(10, 13)), int(rng.integers(1, 29)))
                rows.append((cert, name, code or "", fmt_date(issued, rng.random()), 3, field))
                ctx.truth.add("most", cert, c.pripid[i], "local_enterprise", variant, kinds)
        self.file.append(rows)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------- S7 eco
POLLUTING = {"17": (3.0, 0.3, 0.5, 0.6, 0.4), "22": (4.0, 0.4, 1.0, 1.0, 0.2), "26": (2.5, 0.5, 1.2, 1.5, 3.0),
             "27": (2.0, 0.4, 0.3, 0.4, 1.5), "28": (2.0, 0.2, 0.8, 1.0, 1.0), "29": (0.3, 0.05, 0.2, 0.3, 2.0),
             "30": (0.5, 0.05, 3.0, 4.0, 0.3), "31": (0.8, 0.1, 5.0, 6.0, 0.5), "33": (0.6, 0.1, 0.3, 0.4, 0.8),
             "38": (0.4, 0.05, 0.2, 0.3, 0.6), "39": (0.5, 0.1, 0.1, 0.2, 0.9), "44": (0.2, 0.02, 6.0, 8.0, 0.1)}


class EcoWriter:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.years = [ctx.year - 1, ctx.year]
        d = ctx.root / "eco"
        d.mkdir(parents=True, exist_ok=True)
        self.paths = {y: d / f"排污许可_{y}.jsonl" for y in self.years}
        for p in self.paths.values():
            p.write_bytes(b"")

    def add(self, index: int, c: Chunk) -> None:
        ctx, rng = self.ctx, self.ctx.rng(7, index)
        lines = {y: [] for y in self.years}
        for i in range(len(c)):
            factors = POLLUTING.get(c.industry[i][:2])
            if not factors or c.uscc[i] is None or c.revenue[i] < 3e6 or c.status[i] in "25" or rng.random() > 0.55:
                continue
            for seq in range(1 + int(c.revenue[i] > 2e8 and rng.random() < 0.3)):
                permit = f"{c.uscc[i]}{seq + 1:03d}{'P' if c.revenue[i] > 5e7 else 'U'}"
                # a second permit is for another plant, named after its site
                name, kinds = written_name(rng, c, i, "light", site=seq > 0)
                delivered = False
                for y in self.years:
                    if not active_in(c.est_date[i:i + 1], c.can_date[i:i + 1], c.status[i:i + 1],
                                     np.datetime64(f"{y}-01-01"), np.datetime64(f"{y}-12-31"))[0]:
                        continue
                    scale = (c.revenue[i] if y == ctx.year else c.revenue[i] / c.growth[i]) / 1e8
                    values = [round(f * scale * float(np.exp(rng.normal(0, 0.3))), 4) if rng.random() > 0.12 else None
                              for f in factors]
                    obj = {"xkzbh": permit, "dwmc": name, "hylb": industry_name(c.industry[i]), "year": y,
                           "cod_t": values[0], "nh3n_t": values[1], "so2_t": values[2], "nox_t": values[3],
                           "vocs_t": values[4]}
                    lines[y].append(json.dumps(obj, ensure_ascii=False))
                    delivered = True
                if delivered and ctx.truth.claim("eco", permit):
                    ctx.truth.add("eco", permit, c.pripid[i], "local_enterprise", "exact", kinds)
        for y, ls in lines.items():
            if ls:
                with self.paths[y].open("a", encoding="utf-8") as fh:
                    fh.write("\n".join(ls) + "\n")

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------------------- S9 cnipa
PATENT_TYPES = (("发明", "1", 0.35), ("实用新型", "2", 0.5), ("外观设计", "3", 0.15))
PATENT_TOPICS = ("一种{}的制备方法", "一种{}检测装置", "{}及其控制系统", "一种用于{}的散热结构", "{}组件",
                 "一种{}加工设备")
PATENT_OBJECTS = ("半导体封装", "光伏组件", "纺织面料", "锂电池", "柔性显示面板", "智能机器人", "医用导管", "纳米涂层",
                  "集成电路", "印染废水", "服装", "包装盒", "数据处理")


def application_number(year: int, type_digit: str, seq: int) -> str:
    body = f"{year}{type_digit}{seq:07d}"
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    check = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return f"CN{body}.{'X' if check == 10 else check}"


class CnipaWriter:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.years = [ctx.year - 2, ctx.year - 1, ctx.year]
        d = ctx.root / "cnipa"
        d.mkdir(parents=True, exist_ok=True)
        self.paths = {y: d / f"patents_{y}.jsonl" for y in self.years}
        for p in self.paths.values():
            p.write_bytes(b"")
        self.seq = {(y, t): 0 for y in self.years for _, t, _ in PATENT_TYPES}

    def _number(self, year: int, t: str, index: int) -> str:
        self.seq[(year, t)] += 1
        return application_number(year, t, (index * 100_003 + self.seq[(year, t)] * 7) % 10**7)

    def add(self, index: int, c: Chunk, ext: dict) -> None:
        rng = self.ctx.rng(9, index)
        lines = {y: [] for y in self.years}
        ext_n = len(ext["name"])
        for y in self.years:
            rate = np.where(np.array([cat == "company" for cat in c.category]) & (c.revenue > 2e6),
                            c.revenue / 2e7 * np.where(c.industrial, 1.5, 0.6), 0.0)
            counts = rng.poisson(np.minimum(rate, 40))
            for i in np.flatnonzero(counts).tolist():
                if c.est_date[i] > np.datetime64(f"{y}-06-30") or not active_in(
                        c.est_date[i:i + 1], c.can_date[i:i + 1], c.status[i:i + 1],
                        np.datetime64(f"{y}-01-01"), np.datetime64(f"{y}-12-31"))[0]:
                    continue
                # an enterprise files while it exists: from its founding to the day before it closes
                first = max(dt.date(y, 1, 1), to_date(c.est_date[i]))
                closed = to_date(c.can_date[i]) if not np.isnat(c.can_date[i]) else None
                last = min(dt.date(y, 12, 31), closed - dt.timedelta(days=1)) if closed else dt.date(y, 12, 31)
                if last < first:
                    continue
                for _ in range(int(counts[i])):
                    applicants = [("enterprise", (c, i))]
                    u = rng.random()
                    if u < 0.10:
                        k = int(rng.integers(0, len(UNIVERSITIES)))
                        applicants.append(("institution", UNIVERSITIES[k][0]))
                    elif u < 0.13 and ext_n:
                        # an applicant is written as registered, division included: a namesake registered
                        # elsewhere differs from the local enterprise by its division alone
                        applicants.append(("external", ext["name"][int(rng.integers(0, ext_n))]))
                    elif u < 0.14:  # the enterprise's trade union files beside it (a staff innovation)
                        applicants.append(("sub_organisation", (c, i)))
                    if rng.random() < 0.05:
                        applicants.append(("person", person_names(rng, 1)[0]))
                    filed = first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))
                    lines[y].append(self._record(rng, y, index, applicants, filed))
            # persons and institutions filing on their own
            for _ in range(int(len(c) * 0.02)):
                if rng.random() < 0.6:
                    applicants = [("person", nm) for nm in person_names(rng, 1 + int(rng.random() < 0.3))]
                else:
                    applicants = [("institution", UNIVERSITIES[int(rng.integers(0, len(UNIVERSITIES)))][0])]
                filed = dt.date(y, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
                lines[y].append(self._record(rng, y, index, applicants, filed))
        for y, ls in lines.items():
            if ls:
                with self.paths[y].open("a", encoding="utf-8") as fh:
                    fh.write("\n".join(ls) + "\n")

    def _record(self, rng, year: int, index: int, applicants: list, filed: dt.date) -> str:
        kind, t, _ = PATENT_TYPES[int(rng.choice(3, p=[p for *_, p in PATENT_TYPES]))]
        sqh = self._number(year, t, index)
        lag = {"1": 800, "2": 300, "3": 200}[t]
        granted = filed + dt.timedelta(days=int(rng.normal(lag, lag * 0.2)))
        if granted > dt.date(self.ctx.year, 12, 31) or rng.random() < 0.15:
            granted = None
        status = "有效" if granted else ("审中" if rng.random() < 0.8 else "驳回")
        names = []
        for pos, (akind, payload) in enumerate(applicants, start=1):
            key = f"{sqh}#{pos}"
            if akind == "enterprise":
                c, i = payload
                name, kinds = written_name(rng, c, i)
                self.ctx.truth.add("cnipa", key, c.pripid[i], "local_enterprise", None, kinds)
            elif akind == "sub_organisation":
                c, i = payload
                name, kinds = written_name(rng, c, i, "light")
                name += "工会委员会" if rng.random() < 0.8 else "工会"
                self.ctx.truth.add("cnipa", key, None, "sub_organisation", None, kinds)
            else:
                name = payload
                owner = {"institution": "institution", "external": "external_enterprise", "person": "person"}[akind]
                self.ctx.truth.add("cnipa", key, None, owner, None)
            names.append(name)
        topic = PATENT_TOPICS[int(rng.integers(0, len(PATENT_TOPICS)))].format(
            PATENT_OBJECTS[int(rng.integers(0, len(PATENT_OBJECTS)))])
        return json.dumps({"sqh": sqh, "mc": topic, "lx": kind, "sqr": names, "sqrq": filed.isoformat(),
                           "sqggr": granted.isoformat() if granted else None, "flzt": status}, ensure_ascii=False)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------------ S10 land
class LandWriter:
    HEADER = ["宗地编号", "权利人", "权利人证件号", "坐落", "用途", "面积", "权利类型", "园区", "起始日期", "终止日期"]

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.file = CsvFile(ctx.root / "land" / "宗地登记.csv", self.HEADER, "gbk")
        self.parks = {p.code: p.name for r in REGIONS for p in r.parks}

    def add(self, index: int, c: Chunk, ext: dict) -> None:
        ctx, rng = self.ctx, self.ctx.rng(10, index)
        rows = self._external_holders(index, ext)
        for i in range(len(c)):
            if c.category[i] not in ("company", "nonco") or c.status[i] in "25":
                continue
            if c.industrial[i]:
                p_hold, use = (0.75 if c.revenue[i] > 2e7 else 0.3), "工业用地"
            elif c.industry[i][:2] in ("51", "59", "54"):
                p_hold, use = 0.06, "仓储用地"
            elif c.industry[i][:2] in ("73", "75"):
                p_hold, use = 0.03, "科教用地"
            else:
                p_hold, use = 0.02, "商服用地"
            if rng.random() > p_hold:
                continue
            reg = REGIONS[c.region[i]]
            # output density of 0.8-2 万元 per m² of industrial land: 亩均税收 lands in realistic ranges
            density = float(np.exp(rng.normal(np.log(9000), 0.5)))
            # even a small workshop sits on a few 亩; large plants follow their output
            total_area = max(c.revenue[i] / density, float(np.exp(rng.normal(np.log(3500), 0.4))))
            parcels = 1 + int(total_area > 40_000 and rng.random() < 0.5)
            for k in range(parcels):
                seq = int(scrambled(c.gid[i] * 3 + k, 10**5, 11))
                parcel = f"{reg.code}{int(rng.integers(1, 20)):03d}{int(rng.integers(1, 60)):03d}GB{seq:05d}"
                if not ctx.truth.claim("land", parcel):
                    continue
                name, kinds = written_name(rng, c, i, encoding="gbk")
                u = rng.random()
                if u < 0.7 and c.uscc[i]:
                    ident, variant = written_code(rng, c.uscc[i], None, bool(c.uscc_pilot[i]))
                elif u < 0.8:
                    ident, variant = c.org_code[i][:8] + "-" + c.org_code[i][8], "legacy"
                else:
                    ident, variant = "", "missing"
                rtype = "出让" if rng.random() < 0.85 else ("划拨" if rng.random() < 0.33 else "租赁")
                start = max(to_date(c.est_date[i]), dt.date(1998, 1, 1)) + dt.timedelta(days=int(rng.integers(0, 700)))
                start = min(start, dt.date(ctx.year, 12, 1))
                term = 50 if use == "工业用地" else 40
                end = "" if rtype == "划拨" else dt.date(start.year + term, start.month, 1).isoformat()
                park = self.parks.get(c.park[i] or "", "") if rng.random() < 0.85 else ""
                town = reg.towns[int(rng.integers(0, len(reg.towns)))]
                street = reg.streets[int(rng.integers(0, len(reg.streets)))]
                loc = f"{reg.city}{town}{street}以{'东南西北'[k % 4]}"
                rows.append((parcel, name, ident or "", loc, use, round(total_area / parcels, 2), rtype, park,
                             fmt_date(start, rng.random()), end))
                ctx.truth.add("land", parcel, c.pripid[i], "local_enterprise", variant, kinds)
        self.file.append(rows)

    def _external_holders(self, index: int, ext: dict) -> list[tuple]:
        """Parcels in a park held by enterprises registered elsewhere (a plant bought before, or instead of, a local
        subsidiary), written with the holder's USCC: the land bureau's register names them as the deed does."""
        ctx, rng = self.ctx, self.ctx.rng(10, 1000 + index)
        parks = [(r, p.name) for r in REGIONS for p in r.parks]
        rows = []
        for j in np.flatnonzero(rng.random(len(ext["name"])) < EXTERNAL_LAND_P).tolist():
            reg, park = parks[int(rng.integers(0, len(parks)))]
            seq = int(scrambled(np.int64(90_000 + index * 1000 + j % 1000), 10**5, 13))
            parcel = f"{reg.code}{int(rng.integers(1, 20)):03d}{int(rng.integers(1, 60)):03d}GB{seq:05d}"
            if not ctx.truth.claim("land", parcel):
                continue
            use = "工业用地" if rng.random() < 0.8 else "仓储用地"
            area = round(float(np.exp(rng.normal(np.log(12_000), 0.6))), 2)
            start = dt.date(ctx.year - int(rng.integers(0, 8)), int(rng.integers(1, 13)), 1)
            town = reg.towns[int(rng.integers(0, len(reg.towns)))]
            street = reg.streets[int(rng.integers(0, len(reg.streets)))]
            rows.append((parcel, ext["name"][j], ext["uscc"][j], f"{reg.city}{town}{street}以东", use, area, "出让",
                         park, fmt_date(start, rng.random()), dt.date(start.year + 50, start.month, 1).isoformat()))
            ctx.truth.add("land", parcel, None, "external_enterprise", "exact")
        return rows

    def close(self) -> None:
        pass
