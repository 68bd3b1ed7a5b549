{#- The policies (政策直达 / 免申即享): one row per policy file of the policies folder (the repository's policies/, or
    the folder LAKEHOUSE_POLICIES_DIR names). resources/rule_tables.py loads and checks every file
    (contracts/policies.py) and writes this table into the lake before dbt runs: a malformed file stops the build there
    with the file and the field named, before any model is built, so nothing that evaluates policies is built. Grain:
    one row per policy. -#}
{{ config(materialized='table', schema='reference') }}

select
    policy_id,
    title,
    department,
    valid_from,
    valid_to,
    benefit,
    conditions,
    policy_file
from {{ source('rules', 'policies') }}
