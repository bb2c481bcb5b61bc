-- stg_ops__costs: one row per cost as costs.csv gives it: a period, a team or a channel (or
-- neither, for the whole company), a category and an amount.

with

costs as (

    select * from raw_ops__costs

),

final as (

    select
        -- ids
        file_id as file_number,
        record_number,

        -- strings
        team,
        channel,
        category,
        period,

        -- numerics
        amount,
        period_months(period) as period_months,

        -- dates
        period_start(period) as period_start

    from costs

)

select * from final
