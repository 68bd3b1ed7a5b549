"""The policies (政策直达 / 免申即享): one row per policy file of the policies folder (the repository's policies/, or
the folder LAKEHOUSE_POLICIES_DIR names). contracts/policies.py loads and checks every file: a malformed one fails
this model with the file and the field named, and nothing that evaluates policies is built. Grain: one row per
policy."""


def model(dbt, session):
    dbt.config(materialized="table", schema="reference")
    from contracts.policies import policies_table

    return policies_table()
