with source as (
    select * from {{ source('cnipa', 'patents') }}
)

select
    application_number,
    title,
    patent_type,
    filed_on,
    granted_on,
    legal_status,
    {{ list_length('applicants') }} as applicant_count
from source
