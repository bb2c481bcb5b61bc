-- int_owner_months: one row per owner per month with a closed deal, an activity or a target,
-- up to the as-of date; additive facts only, the rates are made in the marts. The same
-- facts as the per-scope performance (int_performance_facts), added up by month.

with

facts as (

    select * from int_performance_facts

    where
        fact_kind in ('closed_deal', 'activity', 'target')
        and fact_date <= getvariable('as_of_date')

),

final as (

    select
        owner_id,
        date_trunc('month', fact_date)::date as month,
        sum(won_count)::bigint as won_count,
        sum(won_amount)::decimal(18, 2) as won_amount,
        sum(lost_count)::bigint as lost_count,
        sum(lost_amount)::decimal(18, 2) as lost_amount,
        sum(target_won_amount)::decimal(18, 2) as target_won_amount,
        sum(activities_count)::bigint as activities_count

    from facts

    group by 1, 2

)

select * from final
