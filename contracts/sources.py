"""The department systems' datasets, declared once (SOURCES.md).

Each `Dataset` names its source columns, the snake_case names they land under, their types and
units, which are required and which make the source record key. This one declaration drives
parsing, typing, quarantine, the column schema shown in the UI, the dbt source docs and the checks.
Values stay in the source's units: converting 万元/千元/m² is staging's job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# S1 may be a SQLite file in the sources root (SOURCES.md); S5 is an API and has nothing on disk
SAMR_SQLITE = Path("samr") / "samr.db"

# field kinds -> DuckDB type of the landed column
KIND_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "amount": "DECIMAL(18,2)",  # money, in the unit the source writes
    "decimal4": "DECIMAL(18,4)",
    "quantity": "DOUBLE",  # physical quantities (tonnes, persons, kWh written with decimals)
    "date": "DATE",  # YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD
    "period": "DATE",  # a month, YYYYMM or YYYY-MM: the first day of that month
    "year": "INTEGER",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ",
    "string_list": "VARCHAR[]",
}


@dataclass(frozen=True)
class Field:
    source: str  # column (or JSON field) name as the department writes it
    name: str  # landed column name
    kind: str
    required: bool = False
    unit: str | None = None
    doc: str = ""
    pii: bool = False  # personal data: never published
    # domain rules: a typed value outside them is impossible, and its row is quarantined with the reason
    minimum: float | None = None
    not_in_future: bool = False  # a date that has happened (founding, filing), never after the day it is landed

    @property
    def duckdb_type(self) -> str:
        return KIND_TYPES[self.kind]


@dataclass(frozen=True)
class Dataset:
    source: str  # source system: samr, tax, ...
    name: str  # dataset within the source
    title: str
    format: str  # sql, csv, xlsx, jsonl, api
    partitioning: str  # snapshot, monthly, yearly
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # landed names whose values make the source record key
    key_separator: str = "|"
    encoding: str | None = None  # csv: gbk, utf-8, utf-8-sig
    pattern: str | None = None  # file name; {period} is YYYYMM for monthly files, YYYY for yearly ones
    table: str | None = None  # sql: the table
    description: str = ""
    extra: dict = field(default_factory=dict)
    # the landed names that identify a row within one delivery: two rows with the same values but different content
    # contradict each other, and both are quarantined (exact copies are not: staging collapses and counts them)
    unique_within_delivery: tuple[str, ...] = ()
    # the row's own period (a month or a year): it may be earlier than the delivery's (a late filing, loaded with both
    # periods kept) but never later (a March file cannot hold April's figures)
    period_field: str | None = None
    # (earlier, later) pairs of date fields that must be in that order
    ordered_dates: tuple[tuple[str, str], ...] = ()

    @property
    def asset_name(self) -> str:
        return f"{self.source}_{self.name}"

    @property
    def required(self) -> list[Field]:
        return [f for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


S = Field
SAMR_ENTITIES = Dataset(
    "samr", "entities", "S1 市场监督管理局 market-entity registry (T_SCZTDJ)", "sql", "snapshot", (
        S("PRIPID", "pripid", "string", True, doc="internal entity id (stable)"),
        S("UNISCID", "uscc", "string", doc="统一社会信用代码 as registered; NULL if never re-registered"),
        S("REGNO", "registration_number", "string", doc="legacy 15-digit 工商注册号; NULL after 2015-10"),
        S("ENTNAME", "enterprise_name", "string", True),
        S("ENTTYPE", "entity_type_code", "string", doc="e.g. 1100 有限责任公司, 9500 个体工商户"),
        S("LEREP", "legal_representative", "string", pii=True),
        S("CERNO", "legal_representative_id_number", "string", pii=True),
        S("TEL", "contact_phone", "string", pii=True),
        S("REGCAP", "registered_capital", "decimal4", unit="万元", minimum=0),
        S("REGCAPCUR", "registered_capital_currency", "string", doc="ISO 4217 numeric"),
        S("ESTDATE", "founded_on", "date", not_in_future=True),
        S("REGSTATE", "registration_status", "string", doc="1 存续 2 吊销 3 注销 4 迁出 5 撤销"),
        S("CANDATE", "deregistered_on", "date", not_in_future=True),
        S("DOM", "registered_address", "string"),
        S("REGORG", "registering_authority", "string", doc="GB/T 2260 division code"),
        S("INDUSTRYCO", "industry_code", "string", doc="GB/T 4754-2017 class, sometimes only the division"),
        S("OPSCOPE", "business_scope", "string"),
        S("PARKCODE", "park_code", "string"),
        S("UPDATE_TIME", "updated_at", "timestamp"),
    ), key=("pripid",), table="T_SCZTDJ", unique_within_delivery=("pripid",),
    ordered_dates=(("founded_on", "deregistered_on"),))
SAMR_CHANGES = Dataset(
    "samr", "changes", "S1 registry change history (T_BGXX)", "sql", "snapshot", (
        S("PRIPID", "pripid", "string", True),
        S("ALTITEM", "changed_item", "string", True, doc="名称, 住所, 法定代表人, 注册资本, 行业, 登记状态"),
        S("ALTBE", "value_before", "string"),
        S("ALTAF", "value_after", "string"),
        S("ALTDATE", "changed_on", "date", not_in_future=True),
    ), key=("pripid",), table="T_BGXX")
SAMR_ABNORMAL = Dataset(
    "samr", "abnormal_operations", "S1 abnormal-operation list (T_JYYC)", "sql", "snapshot", (
        S("PRIPID", "pripid", "string", True),
        S("UNISCID", "uscc", "string"),
        S("ENTNAME", "enterprise_name", "string"),
        S("SPECAUSE", "reason", "string"),
        S("ABNTIME", "listed_on", "date", not_in_future=True),
        S("REMDATE", "removed_on", "date"),
    ), key=("pripid",), table="T_JYYC", ordered_dates=(("listed_on", "removed_on"),))
TAX_RETURNS = Dataset(
    "tax", "returns", "S2 税务局 monthly tax returns", "csv", "monthly", (
        S("纳税人识别号", "taxpayer_id", "string", True, doc="USCC or legacy 15-character 税务登记号"),
        S("纳税人名称", "taxpayer_name", "string"),
        S("所属期", "tax_period", "period", True),
        S("增值税", "vat", "amount", unit="元"),
        S("企业所得税", "corporate_income_tax", "amount", unit="元", doc="negative values are legal refunds"),
        S("其他税费", "other_taxes", "amount", unit="元"),
        S("税收合计", "total_tax", "amount", unit="元"),
        S("销售收入", "sales_revenue", "amount", unit="元"),
        S("主管税务机关", "tax_office", "string"),
    ), key=("taxpayer_id",), encoding="gbk", pattern="税收_{period}.csv",
    unique_within_delivery=("taxpayer_id", "tax_period"), period_field="tax_period")
STATS_INDICATORS = Dataset(
    "stats", "indicators", "S3 统计局 above-scale industrial enterprises, main indicators", "xlsx", "yearly", (
        S("单位代码", "unit_code", "string", True, doc="USCC, or the 9-character organization code"),
        S("单位详细名称", "unit_name", "string"),
        S("行业代码", "industry_code", "string"),
        S("工业总产值", "gross_industrial_output", "amount", unit="千元", minimum=0),
        S("营业收入", "operating_revenue", "amount", unit="千元", minimum=0),
        S("工业增加值", "industrial_value_added", "amount", unit="千元"),
        S("研发费用", "rd_expenditure", "amount", unit="千元", minimum=0),
        S("从业人员期末人数", "employees_year_end", "integer", unit="persons", minimum=0),
        S("综合能源消费量", "energy_consumption", "quantity", unit="吨标准煤", minimum=0),
    ), key=("unit_code",), pattern="规上工业企业主要指标_{period}.xlsx", unique_within_delivery=("unit_code",),
    extra={"sheet": "主要指标", "money_unit": "千元", "header_rows": (2, 3), "units_row": 4, "first_data_row": 5})
MIIT_RECOGNITIONS = Dataset(
    "miit", "recognitions", "S4 经信局 enterprise recognitions (cumulative list)", "csv", "snapshot", (
        S("企业名称", "enterprise_name", "string", True),
        S("统一社会信用代码", "uscc", "string", doc="blank in about a third of rows"),
        S("认定类型", "recognition_type", "string", True),
        S("级别", "level", "string"),
        S("认定年度", "recognition_year", "year"),
        S("有效期至", "valid_until", "date"),
    ), key=("recognition_type", "enterprise_name"), encoding="utf-8-sig", pattern="企业认定名单.csv")
HRSS_EMPLOYERS = Dataset(
    "hrss", "employers", "S5 人社局 social-insurance enrolment (HTTP API)", "api", "monthly", (
        S("dwbh", "employer_number", "string", True),
        S("dwmc", "employer_name", "string"),
        S("tyshxydm", "uscc", "string"),
        S("cbrs", "insured_headcount", "integer", unit="persons", minimum=0),
        S("jfjs", "contribution_base", "amount", unit="元", minimum=0),
        S("gxsj", "updated_at", "timestamptz"),
    ), key=("employer_number",), unique_within_delivery=("employer_number",))
GRID_CONSUMPTION = Dataset(
    "grid", "consumption", "S6 供电公司 electricity consumption per metering account", "csv", "monthly", (
        S("户号", "account_number", "string", True),
        S("户名", "account_holder", "string"),
        S("用电地址", "supply_address", "string"),
        S("用电类别", "tariff_category", "string"),
        S("电压等级", "voltage_level", "string"),
        S("抄表年月", "billing_period", "period", True),
        S("有功电量", "active_energy", "quantity", unit="kWh", minimum=0),
        S("电费", "electricity_fee", "amount", unit="元"),
    ), key=("account_number",), encoding="utf-8", pattern="用电量_{period}.csv",
    unique_within_delivery=("account_number", "billing_period"), period_field="billing_period")
ECO_PERMITS = Dataset(
    "eco", "permits", "S7 生态环境局 discharge permits and annual emissions", "jsonl", "yearly", (
        S("xkzbh", "permit_number", "string", True, doc="holder's USCC + 3-digit sequence + P/U"),
        S("dwmc", "holder_name", "string"),
        S("hylb", "industry_text", "string"),
        S("year", "year", "year", True),
        S("cod_t", "cod", "quantity", unit="t", minimum=0),
        S("nh3n_t", "ammonia_nitrogen", "quantity", unit="t", minimum=0),
        S("so2_t", "sulfur_dioxide", "quantity", unit="t", minimum=0),
        S("nox_t", "nitrogen_oxides", "quantity", unit="t", minimum=0),
        S("vocs_t", "vocs", "quantity", unit="t", minimum=0),
    ), key=("permit_number",), pattern="排污许可_{period}.jsonl",
    unique_within_delivery=("permit_number", "year"), period_field="year")
MOST_CERTIFICATES = Dataset(
    "most", "certificates", "S8 科技局 high-tech enterprise certificates", "csv", "snapshot", (
        S("证书编号", "certificate_number", "string", True),
        S("企业名称", "enterprise_name", "string"),
        S("统一社会信用代码", "uscc", "string"),
        S("发证日期", "issued_on", "date", True, not_in_future=True),
        S("有效期", "validity_years", "integer", unit="years", minimum=1),
        S("技术领域", "technology_field", "string"),
    ), key=("certificate_number",), encoding="utf-8", pattern="高新技术企业名单.csv",
    unique_within_delivery=("certificate_number",))
CNIPA_PATENTS = Dataset(
    "cnipa", "patents", "S9 知识产权局 patent applications", "jsonl", "yearly", (
        S("sqh", "application_number", "string", True),
        S("mc", "title", "string"),
        S("lx", "patent_type", "string"),
        S("sqr", "applicants", "string_list", True, doc="applicant names in order; key = sqh#position"),
        S("sqrq", "filed_on", "date", not_in_future=True),
        S("sqggr", "granted_on", "date", not_in_future=True),
        S("flzt", "legal_status", "string"),
    ), key=("application_number",), pattern="patents_{period}.jsonl",
    unique_within_delivery=("application_number",), ordered_dates=(("filed_on", "granted_on"),))
LAND_PARCELS = Dataset(
    "land", "parcels", "S10 自然资源局 land-use rights (full snapshot)", "csv", "snapshot", (
        S("宗地编号", "parcel_number", "string", True),
        S("权利人", "holder_name", "string"),
        S("权利人证件号", "holder_id", "string", doc="USCC, organization code, or blank"),
        S("坐落", "location", "string"),
        S("用途", "land_use", "string"),
        S("面积", "area", "quantity", unit="m²", minimum=0),
        S("权利类型", "right_type", "string"),
        S("园区", "park_name", "string"),
        S("起始日期", "starts_on", "date"),
        S("终止日期", "ends_on", "date"),
    ), key=("parcel_number",), encoding="gbk", pattern="宗地登记.csv",
    unique_within_delivery=("parcel_number",), ordered_dates=(("starts_on", "ends_on"),))

DATASETS: tuple[Dataset, ...] = (
    SAMR_ENTITIES, SAMR_CHANGES, SAMR_ABNORMAL, TAX_RETURNS, STATS_INDICATORS, MIIT_RECOGNITIONS, HRSS_EMPLOYERS,
    GRID_CONSUMPTION, ECO_PERMITS, MOST_CERTIFICATES, CNIPA_PATENTS, LAND_PARCELS,
)
