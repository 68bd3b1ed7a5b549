"""The conditions of the policies: one row per condition of each policy file, its field, operator and threshold
typed by the field's type (contracts/policies.py loads and checks the files; a malformed one fails this model with
the file and the field named). Grain: one row per policy and condition (condition_no from 1, in the file's order)."""


def model(dbt, session):
    dbt.config(materialized="table", schema="reference")
    from contracts.policies import conditions_table

    return conditions_table()
