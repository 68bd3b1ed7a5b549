{#- Industrial parks: those of the parks file (ref_parks) and, under its code, any park code the registry uses that
    the file lacks (in_parks_file false, name unknown; the warning test listed_in_reference names it).
    Grain: one row per park code. -#}
with parks as (
    select * from {{ ref('ref_parks') }}
),

unlisted as (
    select distinct park_code from {{ ref('enterprise_park_membership') }} where not in_parks_file
),

all_parks as (
    select
        park_code,
        park_name,
        division_code,
        true as in_parks_file,
        registry_park_codes,
        land_park_names,
        address_keywords,
        reference_file as parks_file
    from parks
    union all
    select
        u.park_code,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        false,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        (select min(p.reference_file) from parks p)
    from unlisted u
    where u.park_code not in (select p.park_code from parks p)
)

select
    p.park_code,
    p.park_name,
    p.division_code,
    r.division_name,
    r.city_name,
    r.province_name,
    p.in_parks_file,
    -- how membership is decided (enterprise_park_membership)
    p.registry_park_codes,
    p.land_park_names,
    p.address_keywords,
    p.parks_file
from all_parks p
left join {{ ref('dim_region') }} r on r.division_code = p.division_code
