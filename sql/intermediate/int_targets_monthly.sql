-- int_targets_monthly: one row per target holder (rep or team) per month per metric. A
-- quarter's target is split over its three months (README "Targets"): a count or an amount
-- in thirds, rounded to the cent, the last month taking the remainder so the three add up
-- to the quarter; a satisfaction target, an average score, holds in each of its months.

with

targets as (

    select * from stg_ops__targets

),

months as (

    select
        *,
        unnest(range(period_months)) + 1 as month_number

    from targets

),

final as (

    select
        user_id,
        team,
        holder_id,
        holder_kind,
        metric,
        (period_start + to_months(month_number - 1))::date as period_month,
        case
            when metric = 'satisfaction' then target
            else month_share(target, month_number, period_months)
        end as target,
        period,
        period_kind

    from months

)

select * from final
