{#- Calendar. Grain: one row per day, 2010-01-01 to 2035-12-31. -#}
with days as (
    {{ date_series('2010-01-01', '2035-12-31') }}
)

select
    calendar_date,
    extract(year from calendar_date) as calendar_year,
    extract(quarter from calendar_date) as calendar_quarter,
    extract(month from calendar_date) as calendar_month,
    cast(date_trunc('month', calendar_date) as date) as month_start,
    calendar_date = cast(date_trunc('month', calendar_date) as date) as is_month_start
from days
