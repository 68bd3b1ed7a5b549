{{ config(materialized="table") }}
{#- One row per distinct delivered row: exact duplicates (same values, same delivery) are collapsed and counted.
    A table, not a view: the deduplication is real work that every reader and test would otherwise repeat. -#}
with source as (
    select * from {{ source('tax', 'returns') }}
),

deduplicated as (
    select
        taxpayer_id, taxpayer_name, tax_period, vat, corporate_income_tax, other_taxes, total_tax, sales_revenue,
        tax_office, _source_file, _delivery_sha256,
        min(_source_row) as source_row,
        count(*) as delivered_copies
    from source
    group by
        taxpayer_id, taxpayer_name, tax_period, vat, corporate_income_tax, other_taxes, total_tax, sales_revenue,
        tax_office, _source_file, _delivery_sha256
),

renamed as (
    select
        -- ids
        trim(taxpayer_id) as source_record_key,
        {{ normalize_code('taxpayer_id') }} as taxpayer_code,
        trim(taxpayer_name) as taxpayer_name,
        tax_period,
        -- amounts in 元
        vat,
        corporate_income_tax,
        other_taxes,
        total_tax,
        sales_revenue,
        tax_office,
        -- lineage
        _source_file as source_file,
        source_row,
        _delivery_sha256 as delivery_sha256,
        delivered_copies
    from deduplicated
)

select
    *,
    case length(taxpayer_code) when 18 then 'uscc' when 15 then 'legacy_taxpayer_number' else 'unknown' end
        as code_kind,
    {{ uscc_is_valid('taxpayer_code') }} as uscc_is_valid,
    -- the organization code inside a USCC (positions 9-17) or a legacy taxpayer number (positions 7-15)
    case length(taxpayer_code) when 18 then substr(taxpayer_code, 9, 9) when 15 then substr(taxpayer_code, 7, 9) end
        as embedded_org_code,
    abs(total_tax - (coalesce(vat, 0) + coalesce(corporate_income_tax, 0) + coalesce(other_taxes, 0))) > 1
        as total_mismatch
from renamed
