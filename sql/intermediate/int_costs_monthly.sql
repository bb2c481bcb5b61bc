-- int_costs_monthly: one row per cost line per month; a quarter's cost is shared over its
-- three months like a quarter's target (README "Costs").

with

costs as (

    select * from stg_ops__costs

),

months as (

    select
        *,
        unnest(range(period_months)) + 1 as month_number

    from costs

),

final as (

    select
        file_number,
        record_number,
        team,
        channel,
        category,
        (period_start + to_months(month_number - 1))::date as month,
        month_share(amount, month_number, period_months) as amount

    from months

)

select * from final
