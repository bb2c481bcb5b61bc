-- stg_ops__market: one row per region per period in market.csv, with the market's size.

with

market as (

    select * from raw_ops__market

),

final as (

    select
        -- ids
        file_id as file_number,
        record_number,

        -- strings
        region,
        period,

        -- numerics
        market_size,

        -- dates
        period_start(period) as period_start,
        (
            period_start(period) + to_months(period_months(period)) - interval 1 day
        )::date as period_end

    from market

)

select * from final
