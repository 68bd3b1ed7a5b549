"""S1: the market-regulation registry as a relational database (SQLite, PostgreSQL or MySQL)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from .geography import REGIONS
from .population import Chunk, industry_name, to_date
from .truth import Truth

metadata = sa.MetaData()
T_SCZTDJ = sa.Table(
    "T_SCZTDJ", metadata,
    sa.Column("PRIPID", sa.String(36), primary_key=True),
    sa.Column("UNISCID", sa.String(18)),
    sa.Column("REGNO", sa.String(15)),
    sa.Column("ENTNAME", sa.String(200)),
    sa.Column("ENTTYPE", sa.String(4)),
    sa.Column("LEREP", sa.String(50)),
    sa.Column("CERNO", sa.String(18)),
    sa.Column("TEL", sa.String(20)),
    sa.Column("REGCAP", sa.Numeric(18, 4)),
    sa.Column("REGCAPCUR", sa.String(3)),
    sa.Column("ESTDATE", sa.Date),
    sa.Column("REGSTATE", sa.String(1)),
    sa.Column("CANDATE", sa.Date),
    sa.Column("DOM", sa.String(300)),
    sa.Column("REGORG", sa.String(6)),
    sa.Column("INDUSTRYCO", sa.String(4)),
    sa.Column("OPSCOPE", sa.Text),
    sa.Column("PARKCODE", sa.String(20)),
    sa.Column("UPDATE_TIME", sa.DateTime),
)
T_BGXX = sa.Table(
    "T_BGXX", metadata,
    sa.Column("PRIPID", sa.String(36), index=True),
    sa.Column("ALTITEM", sa.String(20)),
    sa.Column("ALTBE", sa.Text),
    sa.Column("ALTAF", sa.Text),
    sa.Column("ALTDATE", sa.Date),
)
T_JYYC = sa.Table(
    "T_JYYC", metadata,
    sa.Column("PRIPID", sa.String(36), index=True),
    sa.Column("UNISCID", sa.String(18)),
    sa.Column("ENTNAME", sa.String(200)),
    sa.Column("SPECAUSE", sa.String(200)),
    sa.Column("ABNTIME", sa.Date),
    sa.Column("REMDATE", sa.Date),
)
STATE_NAMES = {"1": "存续(在营)", "2": "吊销", "3": "注销", "4": "迁出", "5": "撤销"}
ABNORMAL_CAUSES = ("未按照规定期限公示年度报告", "通过登记的住所或者经营场所无法联系",
                   "公示企业信息隐瞒真实情况、弄虚作假")


def default_url(root: Path) -> str:
    return f"sqlite:///{(root / 'samr' / 'samr.db').resolve()}"


class SamrWriter:
    def __init__(self, root: Path, url: str | None, seed: int, year: int):
        if url is None:
            (root / "samr").mkdir(parents=True, exist_ok=True)
            db = root / "samr" / "samr.db"
            if db.exists():
                db.unlink()
            url = default_url(root)
        self.engine = sa.create_engine(url)
        metadata.drop_all(self.engine)
        metadata.create_all(self.engine)
        self.seed = seed
        self.year = year

    def add(self, index: int, c: Chunk, truth: Truth) -> None:
        rng = np.random.default_rng([self.seed, 10, index])
        n = len(c)
        main, changes, abnormal = [], [], []
        for i in range(n):
            est = to_date(c.est_date[i])
            last = est
            can = to_date(c.can_date[i])
            if c.former_name[i]:
                rd = to_date(c.rename_date[i])
                changes.append(dict(PRIPID=c.pripid[i], ALTITEM="名称", ALTBE=c.former_name[i], ALTAF=c.name[i],
                                    ALTDATE=rd))
                last = max(last, rd)
            if c.category[i] != "individual" and rng.random() < 0.15:
                item = ("住所", "法定代表人", "注册资本", "行业")[int(rng.integers(0, 4))]
                when = est + dt.timedelta(days=int(rng.integers(30, max(31, (dt.date(self.year, 12, 1) - est).days))))
                before, after = {
                    "住所": (c.dom[i].replace("号", "号之一"), c.dom[i]),
                    "法定代表人": ("张" + c.lerep[i][1:], c.lerep[i]),
                    "注册资本": (f"{c.regcap_wan[i] / 2:.2f}万元", f"{c.regcap_wan[i]:.2f}万元"),
                    "行业": ("5199", c.industry_written[i]),
                }[item]
                changes.append(dict(PRIPID=c.pripid[i], ALTITEM=item, ALTBE=before, ALTAF=after, ALTDATE=when))
                last = max(last, when)
            if can:
                changes.append(dict(PRIPID=c.pripid[i], ALTITEM="登记状态", ALTBE=STATE_NAMES["1"],
                                    ALTAF=STATE_NAMES[c.status[i]], ALTDATE=can))
                last = max(last, can)
            if c.category[i] != "individual" and c.status[i] in "12" and rng.random() < 0.03:
                listed = est + dt.timedelta(days=int(rng.integers(200, 1500)))
                removed = listed + dt.timedelta(days=int(rng.integers(30, 400))) if rng.random() < 0.4 else None
                if listed <= dt.date(self.year, 12, 31):
                    abnormal.append(dict(PRIPID=c.pripid[i], UNISCID=c.uscc[i], ENTNAME=c.name[i],
                                         SPECAUSE=ABNORMAL_CAUSES[int(rng.integers(0, 3))], ABNTIME=listed,
                                         REMDATE=(removed if removed and removed <= dt.date(self.year, 12, 31)
                                                  else None)))
            reg = REGIONS[c.region[i]]
            scope = industry_name(c.industry[i]) or "一般经营项目"
            main.append(dict(
                PRIPID=c.pripid[i], UNISCID=c.uscc[i], REGNO=c.regno[i], ENTNAME=c.name[i], ENTTYPE=c.enttype[i],
                LEREP=c.lerep[i], CERNO=c.cerno[i], TEL=c.tel[i], REGCAP=round(float(c.regcap_wan[i]), 4),
                REGCAPCUR=c.regcapcur[i], ESTDATE=est, REGSTATE=c.status[i], CANDATE=can, DOM=c.dom[i],
                REGORG=reg.code, INDUSTRYCO=c.industry_written[i],
                OPSCOPE=f"{scope}；货物进出口；技术进出口。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
                PARKCODE=c.park[i],
                UPDATE_TIME=(dt.datetime.combine(last, dt.time(9, 0))
                             + dt.timedelta(seconds=int(rng.integers(0, 30000)))),
            ))
            truth.add("samr", c.pripid[i], c.pripid[i], "local_enterprise", "exact")
        with self.engine.begin() as con:
            con.execute(T_SCZTDJ.insert(), main)
            if changes:
                con.execute(T_BGXX.insert(), changes)
            if abnormal:
                con.execute(T_JYYC.insert(), abnormal)

    def close(self) -> None:
        self.engine.dispose()
