with source as (
    select * from {{ source('land', 'parcels') }}
),

renamed as (
    select
        trim(parcel_number) as source_record_key,
        trim(holder_name) as holder_name,
        {{ name_key('holder_name') }} as name_key,
        {{ normalize_code('holder_id') }} as holder_code,
        trim(location) as location,
        land_use,
        -- 1 亩 = 666.67 m²
        area as area_m2,
        area / 666.67 as area_mu,
        right_type,
        nullif(trim(park_name), '') as park_name,
        starts_on,
        ends_on
    from source
)

select
    *,
    case length(holder_code) when 18 then 'uscc' when 9 then 'org_code' else 'none' end as code_kind,
    {{ uscc_is_valid('holder_code') }} as uscc_is_valid,
    case length(holder_code) when 18 then substr(holder_code, 9, 9) when 9 then holder_code end as embedded_org_code
from renamed
