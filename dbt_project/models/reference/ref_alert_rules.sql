{#- The early-warning rules (风险预警): one row per rule file of the alert-rules folder (the repository's alert_rules/,
    or the folder LAKEHOUSE_ALERT_RULES_DIR names), one column per threshold of any signal (NULL where the rule's
    signal has no such threshold). resources/rule_tables.py loads and checks every file (contracts/alerts.py) and
    writes this table into the lake before dbt runs: a malformed one stops the build there with the file and the field
    named, and no alert is computed. Grain: one row per rule. -#}
{{ config(materialized='table', schema='reference') }}

select
    rule_id,
    title,
    signal,
    severity,
    description,
    follow_up,
    rule_file,
    -- the thresholds (contracts/alerts.py PARAMETERS, in the order the signals declare them)
    drop_at_least,
    months_running,
    min_prior_year_tax_yuan,
    electricity_drop_at_least,
    headcount_drop_at_least,
    statuses,
    grace_months,
    min_electricity_kwh,
    min_insured_headcount,
    within_months,
    min_sales_yuan,
    max_electricity_kwh,
    sections
from {{ source('rules', 'alert_rules') }}
