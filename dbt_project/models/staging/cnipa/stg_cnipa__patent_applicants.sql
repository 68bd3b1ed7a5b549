{#- One row per applicant of an application: the source record key is sqh#position (SOURCES.md). -#}
with source as (
    select * from {{ source('cnipa', 'patents') }}
),

applicants as (
    select
        application_number, patent_type, filed_on, granted_on,
        {{ unnest_with_position('applicants', 'applicant_name', 'applicant_position') }}
    from source
)

select
    application_number || '#' || cast(applicant_position as string) as source_record_key,
    application_number,
    applicant_position,
    trim(applicant_name) as applicant_name,
    {{ name_key('applicant_name') }} as name_key,
    {{ owner_kind('applicant_name') }} as applicant_kind,
    patent_type,
    filed_on,
    granted_on
from applicants
