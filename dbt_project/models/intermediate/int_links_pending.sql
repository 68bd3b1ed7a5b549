{#- What the exact rungs left for the fuzzy ones: organizations' records (not persons') with a name and no link
    in int_links_exact, and without a valid USCC of their own (a valid USCC the registry does not hold belongs to
    an enterprise registered elsewhere: no name, however close, makes it a local one). A table of its own: the
    site rung joins it once per suffix length, and on a million enterprises re-deriving it per join would hold the
    exact links in memory many times over.
    Records the exact rungs found ambiguous (two or more entities fit) are not left to them either.
    Grain: one row per source record not linked by a code or an exact name. -#}
select r.source_system, r.source_record_key, r.code, r.name_key, c.core_key, r.address, r.owner_kind
from {{ ref('int_source_records') }} r
left join {{ ref('int_name_cores') }} c using (name_key)
anti join {{ ref('int_links_exact') }} using (source_system, source_record_key)
where r.source_system <> 'samr' and r.owner_kind <> 'person' and r.name_key is not null
    and not coalesce({{ uscc_is_valid('r.code') }}, false)
