with source as (
    select * from {{ source('samr', 'entities') }}
),

renamed as (
    select
        -- ids
        pripid,
        {{ normalize_code('uscc') }} as uscc,
        {{ normalize_code('registration_number') }} as registration_number,
        -- names
        trim(enterprise_name) as enterprise_name,
        {{ name_key('enterprise_name') }} as name_key,
        -- registration (personal data of the legal representative is not carried past bronze)
        entity_type_code,
        registration_status,
        founded_on,
        deregistered_on,
        trim(registered_address) as registered_address,
        registering_authority as division_code,
        industry_code,
        park_code,
        -- amounts in 元 (the registry writes 万元)
        cast(registered_capital * 10000 as decimal(18, 4)) as registered_capital_yuan,
        registered_capital_currency,
        updated_at
    from source
)

select
    *,
    {{ uscc_is_valid('uscc') }} as uscc_is_valid,
    substr(uscc, 9, 9) as embedded_org_code,
    entity_type_code = '9500' or uscc like '92%' as is_individual_business,
    enterprise_name like '%分公司' as is_branch
from renamed
