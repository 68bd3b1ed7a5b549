{#- Industrial parks: the seeded ones and any park code the registry uses. Grain: one row per park code. -#}
with seeded as (
    select park_code, park_name, division_code, leading_industries from {{ ref('parks') }}
),

seen as (
    select distinct park_code from {{ ref('stg_samr__entities') }} where park_code is not null
)

select * from seeded
union all
select park_code, cast(null as varchar), cast(null as varchar), cast(null as varchar)
from seen
where park_code not in (select park_code from seeded)
