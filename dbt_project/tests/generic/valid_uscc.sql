{#- GB 32100-2015: every non-null value is a valid 统一社会信用代码 (check character included). -#}
{% test valid_uscc(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not {{ uscc_is_valid(column_name) }}
{% endtest %}
