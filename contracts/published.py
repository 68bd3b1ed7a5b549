"""The published datasets: what each extract holds and what it must satisfy, declared once.

Each declaration drives the staging SQL (what leaves the warehouse: public columns only), the Great Expectations
suite generated into data_quality/suites/<name>.json (`python -m data_quality.suites`), the Dagster asset
descriptions and the analysts' views.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from contracts.alerts import SEVERITIES, SIGNALS

# GB 32100-2015: 18 characters; the letters I, O, S, V and Z are never used
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
# the 企业码: QY + 9-digit sequence + a check character from the USCC alphabet
ENTERPRISE_CODE_PATTERN = r"^QY[0-9]{9}[0-9A-HJ-NPQRTUWXY]$"
ALERT_SIGNALS = [s.name for s in SIGNALS]
SOURCE_SYSTEMS = ["samr", "tax", "stats", "miit", "hrss", "grid", "eco", "most", "cnipa", "land"]


@dataclass(frozen=True)
class Published:
    name: str
    model: str                      # the mart it is extracted from (schema marts)
    grain: str
    key: tuple[str, ...]
    columns: tuple[str, ...] = ()   # empty: every column of the mart
    not_null: tuple[str, ...] = ()
    value_sets: dict[str, list] = field(default_factory=dict)
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)
    # share of rows a column may miss (quality floors that are not all-or-nothing), e.g. unlinked records
    mostly_not_in: dict[str, tuple[list, float]] = field(default_factory=dict)
    # the row count may move by at most this share against the version now current; None: no bound from it (the
    # count follows from other data, which a dbt test holds it to)
    row_count_tolerance: float | None = 0.2
    # may a version have no rows at all (the first one, or after an empty current one)?
    allow_empty: bool = False
    # which park a row belongs to in the per-park extracts (published/parks/<park_code>/): the park of the row's
    # 企业码 in dim_enterprise ("enterprise_code"), or the row's own park_code column ("park_code"); a row of no park
    # (an external enterprise, an unlinked record, a chain gap) goes to published/parks/no_park/
    park_by: str = "enterprise_code"

    @property
    def mart(self) -> str:
        return f"marts.{self.model}"


PUBLISHED: tuple[Published, ...] = (
    Published(
        "enterprise_profile", "mart_enterprise_profile",
        "one row per 企业码: every department's picture of the enterprise",
        key=("enterprise_code",), not_null=("enterprise_code", "enterprise_name", "is_external"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN, "uscc": USCC_PATTERN},
        value_sets={"mu_evaluation_class": ["A", "B", "C", "D", "T"]},
        ranges={"electricity_12m_kwh": (0, None), "land_mu": (0, None), "registered_capital_yuan": (0, None),
                "latest_insured_headcount": (0, None)},
    ),
    Published(
        "dim_enterprise", "dim_enterprise",
        "one row per 企业码: the golden record's public attributes (no internal ids, no tax figures)",
        key=("enterprise_code",),
        columns=("enterprise_code", "is_external", "uscc", "enterprise_name", "entity_type_code", "registration_status",
                 "is_operating", "founded_on", "deregistered_on", "registered_capital_yuan",
                 "registered_capital_currency", "registered_address", "division_code", "division_name", "city_name",
                 "province_name", "park_code", "park_name", "industry_code", "section_code", "section_name",
                 "industry_division_code", "industry_division_name", "is_industrial", "is_above_designated_size",
                 "is_four_above", "is_high_tech", "srdi_tier", "is_listed", "is_pre_listed", "is_on_abnormal_list",
                 "as_of_date"),
        not_null=("enterprise_code", "enterprise_name", "is_external"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN, "uscc": USCC_PATTERN},
        value_sets={"registration_status": ["1", "2", "3", "4", "5"]},
        ranges={"registered_capital_yuan": (0, None)},
    ),
    Published(
        "fct_enterprise_month", "fct_enterprise_month",
        "one row per 企业码 and month: tax by kind, sales, electricity, insured headcount",
        key=("enterprise_code", "month_start"), not_null=("enterprise_code", "month_start"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        ranges={"electricity_kwh": (0, None), "electricity_fee_yuan": (0, None), "insured_headcount": (0, None),
                "metering_accounts": (0, None)},
    ),
    Published(
        "fct_enterprise_year", "fct_enterprise_year",
        "one row per 企业码 and year: output, revenue, value added, R&D, energy, emissions, land, patents",
        key=("enterprise_code", "fiscal_year"), not_null=("enterprise_code", "fiscal_year"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        ranges={"energy_consumption_tce": (0, None), "land_mu": (0, None), "patents_filed": (0, None),
                "electricity_kwh": (0, None), "cod_t": (0, None)},
    ),
    Published(
        "mu_efficiency", "mart_mu_efficiency",
        "one row per 企业码 and year evaluated: 亩均效益 indicators, score and class",
        key=("enterprise_code", "fiscal_year"),
        not_null=("enterprise_code", "fiscal_year", "scope", "evaluation_class"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        value_sets={"evaluation_class": ["A", "B", "C", "D", "T"], "scope": ["above_scale", "below_scale"]},
        ranges={"total_score": (0, 100), "rank_share": (0, 1), "industrial_land_mu": (0, None)},
        allow_empty=True,  # a year is evaluated only once the tax returns cover all twelve months
    ),
    Published(
        "park_kpi", "mart_park_kpi",
        "one row per park and month: the figures park administrations quote",
        key=("park_code", "month_start"), not_null=("park_code", "month_start", "market_entities"),
        ranges={"market_entities": (0, None), "electricity_kwh": (0, None), "insured_headcount": (0, None)},
        park_by="park_code",
    ),
    Published(
        "industry_chain", "mart_industry_chain",
        "one row per chain node and enterprise on it (a node without enterprises: one row, a gap)",
        key=("chain", "node", "enterprise_code"), not_null=("chain", "segment", "node"),
        value_sets={"segment": ["upstream", "midstream", "downstream"]},
    ),
    Published(
        "xref_source_record", "xref_source_record",
        "one row per source record of every source: its 企业码 (or why none), rule and score",
        key=("source_system", "source_record_key"), not_null=("source_system", "source_record_key", "match_rule"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        value_sets={"source_system": SOURCE_SYSTEMS},
        ranges={"match_score": (0, 1)},
        # the resolution-quality floor: at most 5% of all records left without a link for want of a match
        mostly_not_in={"match_rule": (["unlinked:no_match", "unlinked:ambiguous"], 0.95)},
    ),
    # 政策直达: rows are enterprises x the policies valid in the year, so a policy file added or expired moves the count
    # by a multiple of the enterprises; the dbt test policy_match_is_complete holds it to exactly that instead, and
    # no policy valid in the year is no row at all
    Published(
        "policy_match", "mart_policy_match",
        "one row per 企业码 and policy valid in the evaluation year: eligible, not_eligible or cannot_tell, and why",
        key=("policy_id", "enterprise_code"),
        not_null=("evaluation_year", "policy_id", "enterprise_code", "policy_title", "verdict", "conditions"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        value_sets={"verdict": ["eligible", "not_eligible", "cannot_tell"]},
        ranges={"conditions": (1, None), "conditions_passed": (0, None), "conditions_failed": (0, None),
                "conditions_missing": (0, None)},
        row_count_tolerance=None, allow_empty=True,
    ),
    Published(
        "policy_match_conditions", "mart_policy_match_conditions",
        "one row per 企业码, policy and condition: the value the condition read and its verdict (pass, fail, missing)",
        key=("policy_id", "enterprise_code", "condition_no"),
        not_null=("evaluation_year", "policy_id", "enterprise_code", "condition_no", "field", "operator", "threshold",
                  "label", "verdict"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        value_sets={"verdict": ["pass", "fail", "missing"]},
        ranges={"condition_no": (1, None)},
        row_count_tolerance=None, allow_empty=True,
    ),

    # 风险预警: how many alerts a month raises is what the data says (a crisis moves it by any amount), and a root
    # with one month of deliveries may raise none; dbt's tests hold the rows to their rules and enterprises
    Published(
        "enterprise_alerts", "mart_enterprise_alerts",
        "one row per early-warning rule, 企业码 and month it raised: the figures that raised it and a sentence",
        key=("rule_id", "enterprise_code", "month_start"),
        not_null=("rule_id", "enterprise_code", "month_start", "rule_title", "signal", "severity", "evidence"),
        patterns={"enterprise_code": ENTERPRISE_CODE_PATTERN},
        value_sets={"signal": ALERT_SIGNALS, "severity": list(SEVERITIES), "registration_status": ["2", "3", "5"]},
        ranges={"months_running": (1, None), "electricity_kwh": (0, None), "insured_headcount": (0, None),
                "tax_change": (None, 0), "electricity_change": (-1, 0), "headcount_change": (-1, 0),
                "sales_revenue_yuan": (0, None)},
        row_count_tolerance=None, allow_empty=True,
    ),
    Published(
        "park_alerts", "mart_park_alerts",
        "one row per park and month: enterprises each early-warning signal raised, beside those registered",
        key=("park_code", "month_start"),
        not_null=("park_code", "month_start", "year_on_year_judged", "enterprises", "alerts", "enterprises_alerted"),
        ranges={"enterprises": (0, None), "alerts": (0, None), "enterprises_alerted": (0, None),
                "enterprises_alerted_high": (0, None),
                **{f"{signal}_enterprises": (0, None) for signal in ALERT_SIGNALS}},
        row_count_tolerance=None, allow_empty=True, park_by="park_code",
    ),
)

# 产业链招商: which candidates a park gets follows from its gaps and the evidence; a new patent or parcel moves it
PUBLISHED += (
    Published(
        "chain_leads", "mart_chain_leads",
        "one row per park, chain node it lacks or is weak in, and candidate from outside: the evidence, ranked",
        key=("park_code", "chain", "node", "candidate_key"),
        not_null=("park_code", "chain", "node", "gap_kind", "lead_rank", "candidate_key", "candidate_name",
                  "fits_by", "evidence_score", "evidence"),
        patterns={"candidate_code": ENTERPRISE_CODE_PATTERN, "candidate_uscc": USCC_PATTERN},
        value_sets={"gap_kind": ["lacks", "weak"]},
        ranges={"lead_rank": (1, None), "evidence_score": (0, None), "joint_patents": (0, None),
                "parcels_held_here": (0, None), "parcels_in_this_park": (0, None), "park_node_enterprises": (0, None)},
        row_count_tolerance=None, allow_empty=True, park_by="park_code",
    ),
)
# 数字经济: empty of figures until the classification table is loaded (classification_loaded says so)
PUBLISHED += (
    Published(
        "digital_economy", "mart_digital_economy",
        "one row per park and year: core digital-economy enterprises (数字经济核心产业), their revenue, output and tax",
        key=("park_code", "fiscal_year"),
        not_null=("park_code", "fiscal_year", "core_enterprises", "classification_loaded"),
        ranges={"core_enterprises": (0, None), "core_enterprises_in_part": (0, None)},
        row_count_tolerance=None, allow_empty=True, park_by="park_code",
    ),
)
BY_NAME = {p.name: p for p in PUBLISHED}
# the dataset that says which park each 企业码 belongs to, for the per-park extracts
PARK_OF_ENTERPRISE = "dim_enterprise"
NO_PARK = "no_park"
