with source as (
    select * from {{ source('stats', 'indicators') }}
),

renamed as (
    select
        -- ids
        trim(unit_code) as source_record_key,
        {{ normalize_code('unit_code') }} as unit_code,
        trim(unit_name) as unit_name,
        {{ name_key('unit_name') }} as name_key,
        industry_code,
        cast(right(_source_file, 9) as string) as _file_tail,
        -- amounts in 元 (the workbook writes 千元)
        gross_industrial_output * 1000 as gross_industrial_output_yuan,
        operating_revenue * 1000 as operating_revenue_yuan,
        industrial_value_added * 1000 as industrial_value_added_yuan,
        rd_expenditure * 1000 as rd_expenditure_yuan,
        employees_year_end,
        energy_consumption as energy_consumption_tce,
        -- lineage
        _source_file as source_file,
        _source_row as source_row
    from source
)

select
    {{ star_except(['_file_tail']) }},
    cast(left(_file_tail, 4) as integer) as report_year,
    case length(unit_code) when 18 then 'uscc' when 9 then 'org_code' else 'unknown' end as code_kind,
    {{ uscc_is_valid('unit_code') }} as uscc_is_valid,
    case length(unit_code) when 18 then substr(unit_code, 9, 9) when 9 then unit_code end as embedded_org_code
from renamed
