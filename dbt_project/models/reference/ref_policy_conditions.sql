{#- The conditions of the policies: one row per condition of each policy file, its field, operator and threshold
    typed by the field's type. resources/rule_tables.py loads and checks the files (contracts/policies.py) and writes
    this table into the lake before dbt runs; a malformed file stops the build there with the file and the field
    named. Grain: one row per policy and condition (condition_no from 1, in the file's order). -#}
{{ config(materialized='table', schema='reference') }}

select
    policy_id,
    condition_no,
    field,
    field_type,
    operator,
    threshold,
    threshold_number,
    threshold_date,
    threshold_boolean,
    label
from {{ source('rules', 'policy_conditions') }}
