{#- The GB/T 2260 division a code names, where it names one: characters 3-8 of a valid USCC (the registration
    authority's division, GB 32100), or the first 6 digits of a legacy 15-character taxpayer number (a division
    code followed by the GB 11714 organization code). NULL for anything else. -#}
{% macro code_division(code) -%}
    case
        when {{ uscc_is_valid(code) }} then substr({{ code }}, 3, 6)
        when length({{ code }}) = 15 and {{ regex_full_match('substr(' ~ code ~ ', 1, 6)', '[1-8][0-9]{5}') }}
            and {{ org_code_is_valid('substr(' ~ code ~ ', 7, 9)') }} then substr({{ code }}, 1, 6)
    end
{%- endmacro %}

{#- A division the record names (in its name or its code) agrees with an entity's divisions
    (int_entity_divisions rows `entity_alias`) when they share the prefecture, or when it is the entity's province:
    a tax office of the prefecture and the county registry are one place; 深圳 and 东莞 are not. -#}
{% macro division_agrees(record_division, entity_division) -%}
    (left({{ record_division }}, 4) = left({{ entity_division }}, 4)
     or (right({{ record_division }}, 4) = '0000' and left({{ record_division }}, 2) = left({{ entity_division }}, 2)))
{%- endmacro %}
