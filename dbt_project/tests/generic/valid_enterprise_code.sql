{#- 企业码: QY + 9-digit sequence + the check character of macros/enterprise_code.sql. -#}
{% test valid_enterprise_code(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (length({{ column_name }}) <> 12
       or {{ column_name }} <> {{ enterprise_code("cast(substr(" ~ column_name ~ ", 3, 9) as integer)") }})
{% endtest %}
