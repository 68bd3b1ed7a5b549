{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#- Retired 企业码 and their survivors: when two codes turn out to be one enterprise, one survives and the other is
    retired with a pointer to it (codes are never deleted or reused). The merges themselves are decided from each
    run's evidence (int_enterprise_code_merges); this keeps, append-only, when each code was first retired, even if
    its evidence later goes and the code is live again (dim_enterprise follows today's merges).
    Grain: one row per code ever retired. -#}
select retired_code, survivor_code, reason, current_timestamp as retired_at
from {{ ref('int_enterprise_code_merges') }}
{% if is_incremental() %}
where retired_code not in (select retired_code from {{ this }})
{% endif %}
