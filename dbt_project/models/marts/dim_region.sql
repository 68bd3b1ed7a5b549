{#- GB/T 2260 divisions where enterprises are registered: the seeded ones, and any other code a registry uses.
    Grain: one row per 6-digit division code. -#}
with seeded as (
    select division_code, division_name, city_name, province_name, province_code from {{ ref('regions') }}
),

seen as (
    select distinct division_code from {{ ref('stg_samr__entities') }} where division_code is not null
)

select * from seeded
union all
select s.division_code, cast(null as varchar), cast(null as varchar), cast(null as varchar), left(s.division_code, 2)
from seen s
where s.division_code not in (select division_code from seeded)
