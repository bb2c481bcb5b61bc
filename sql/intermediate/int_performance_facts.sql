-- int_performance_facts: one row per fact the performance measures add up, on its day and
-- for its owner: a closed deal, an owner's activities of a day, a new customer, a survey
-- answer, a month's target. The rep-month and the per-scope performance marts both
-- aggregate these rows.

with

closed as (

    select * from int_closed_deals

),

activities as (

    select * from int_activities_unioned

),

first_wins as (

    select * from int_account_first_wins

),

responses as (

    select * from int_satisfaction_responses

),

targets as (

    select * from int_targets_monthly

    where holder_kind = 'rep'

),

-- each fact on its day: closed deals by Closing Date, activities by their date (counted), new
-- customers by the Closing Date of their first win, survey answers by their date, and each
-- month's target on the first of the month
final as (

    select
        'closed_deal' as fact_kind,
        owner_id,
        close_date as fact_date,
        (status = 'won')::bigint as won_count,
        case when status = 'won' then amount else 0 end as won_amount,
        (status = 'lost')::bigint as lost_count,
        case when status = 'lost' then amount else 0 end as lost_amount,
        case when status = 'won' then cycle_days end as won_cycle_days,
        0::bigint as activities_count,
        0::bigint as new_customers_count,
        null::double as score,
        null::varchar as scale,
        null::boolean as is_promoter,
        null::boolean as is_detractor,
        null::decimal(18, 2) as target_won_amount

    from closed

    union all

    select
        'activity',
        owner_id,
        activity_date,
        0,
        0,
        0,
        0,
        null,
        count(*),
        0,
        null,
        null,
        null,
        null,
        null

    from activities

    where activity_date <= getvariable('as_of_date')

    group by owner_id, activity_date

    union all

    select
        'first_win',
        owner_id,
        close_date,
        0,
        0,
        0,
        0,
        null,
        0,
        1,
        null,
        null,
        null,
        null,
        null

    from first_wins

    union all

    select
        'answer',
        owner_id,
        response_date,
        0,
        0,
        0,
        0,
        null,
        0,
        0,
        score,
        scale,
        is_promoter,
        is_detractor,
        null

    from responses

    where response_date <= getvariable('as_of_date')

    union all

    select
        'target',
        user_id,
        period_month,
        0,
        0,
        0,
        0,
        null,
        0,
        0,
        null,
        null,
        null,
        null,
        target

    from targets

    where metric = 'won_amount'

)

select * from final
