-- int_owner_months: one row per owner per month with a closed deal, an activity or a target,
-- up to the as-of date; additive facts only, the rates are made in the marts.

with

closed as (

    select * from int_closed_deals

),

activities as (

    select * from int_activities_unioned

),

targets as (

    select * from int_targets_monthly

    where holder_kind = 'rep'

),

closed_months as (

    select
        owner_id,
        date_trunc('month', close_date)::date as month,
        count(*) filter (where status = 'won') as won_count,
        coalesce(sum(amount) filter (where status = 'won'), 0) as won_amount,
        count(*) filter (where status = 'lost') as lost_count,
        coalesce(sum(amount) filter (where status = 'lost'), 0) as lost_amount

    from closed

    group by 1, 2

),

activity_months as (

    select
        owner_id,
        date_trunc('month', activity_date)::date as month,
        count(*) as activities_count

    from activities

    where activity_date <= getvariable('as_of_date')

    group by 1, 2

),

target_months as (

    select
        user_id as owner_id,
        period_month as month,
        sum(target) as target_won_amount

    from targets

    where
        metric = 'won_amount'
        and period_month <= getvariable('as_of_date')

    group by 1, 2

),

spine as (

    select owner_id, month from closed_months
    union
    select owner_id, month from activity_months
    union
    select owner_id, month from target_months

),

final as (

    select
        spine.owner_id,
        spine.month,
        coalesce(closed_months.won_count, 0) as won_count,
        coalesce(closed_months.won_amount, 0)::decimal(18, 2) as won_amount,
        coalesce(closed_months.lost_count, 0) as lost_count,
        coalesce(closed_months.lost_amount, 0)::decimal(18, 2) as lost_amount,
        target_months.target_won_amount::decimal(18, 2) as target_won_amount,
        coalesce(activity_months.activities_count, 0) as activities_count

    from spine

    left join closed_months
        on
            spine.owner_id = closed_months.owner_id
            and spine.month = closed_months.month

    left join activity_months
        on
            spine.owner_id = activity_months.owner_id
            and spine.month = activity_months.month

    left join target_months
        on
            spine.owner_id = target_months.owner_id
            and spine.month = target_months.month

)

select * from final
