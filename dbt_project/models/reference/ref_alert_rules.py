"""The early-warning rules (风险预警): one row per rule file of the alert-rules folder (the repository's alert_rules/,
or the folder LAKEHOUSE_ALERT_RULES_DIR names), one column per threshold of any signal (NULL where the rule's signal
has no such threshold). contracts/alerts.py loads and checks every file: a malformed one fails this model with the
file and the field named, and no alert is computed. Grain: one row per rule."""


def model(dbt, session):
    dbt.config(materialized="table", schema="reference")
    from contracts.alerts import rules_table

    return rules_table()
