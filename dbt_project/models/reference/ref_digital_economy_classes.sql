{#- 数字经济及其核心产业统计分类(2021) (国家统计局令第33号), its core industries (categories 01-04) mapped to GB/T
    4754-2017 classes as the national table publishes them: the file LAKEHOUSE_DIGITAL_ECONOMY_FILE names (absolute
    path, UTF-8 CSV), or the seed digital_economy_core when it is unset. `partial` marks a class the table stars (*):
    it belongs to the category only in part. The seed ships without rows: the published table could not be obtained
    here (seeds/README.md), so the digital-economy figures stay empty until a city supplies the file.
    Grain: one row per 小类 and GB/T 4754 class. -#}
{{ config(materialized='table', schema='reference') }}

with classification as (
    select * from {{ reference_file('LAKEHOUSE_DIGITAL_ECONOMY_FILE', 'digital_economy_core',
        ['category_code', 'category_name', 'middle_code', 'middle_name', 'small_code', 'small_name',
         'industry_code', 'industry_name', 'partial']) }}
)

select
    category_code,
    category_name,
    middle_code,
    middle_name,
    small_code,
    small_name,
    industry_code,
    industry_name,
    -- a starred class, however the file writes the star (blank: not starred); anything else is NULL and fails
    -- the not_null test
    case
        when lower(partial) in ('true', '1', 'yes', '*', '是') then true
        when coalesce(lower(partial), '') in ('false', '0', 'no', '', '否') then false
    end as is_partial,
    partial as partial_as_written,
    reference_file
from classification
