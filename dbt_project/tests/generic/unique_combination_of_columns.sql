{#- The combination of columns is unique (what dbt_utils.unique_combination_of_columns does; no Hub packages here). -#}
{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
