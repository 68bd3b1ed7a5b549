with source as (
    select * from {{ source('grid', 'consumption') }}
)

select
    trim(account_number) as source_record_key,
    trim(account_holder) as account_holder,
    trim(supply_address) as supply_address,
    tariff_category,
    voltage_level,
    billing_period as period,
    active_energy as active_energy_kwh,
    electricity_fee as electricity_fee_yuan
from source
