{#- The city's parks: the file LAKEHOUSE_PARKS_FILE names (absolute path, UTF-8 CSV), or the seed `parks` when it is
    unset. Columns and membership rules: docs/reference_data.md. Grain: one row per park code. -#}
{{ config(materialized='table', schema='reference') }}

with parks_file as (
    select * from {{ reference_file('LAKEHOUSE_PARKS_FILE', 'parks',
        ['park_code', 'park_name', 'division_code', 'registry_park_codes', 'land_park_names', 'address_keywords']) }}
)

select
    park_code,
    park_name,
    division_code,
    -- how membership is decided: ';'-separated lists, any may be blank
    registry_park_codes,
    land_park_names,
    address_keywords,
    reference_file
from parks_file
