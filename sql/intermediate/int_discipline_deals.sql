-- int_discipline_deals: one row per deal, with what the discipline rules look at: its
-- owner's team and region, its last activity, and how long it has been in its stage.

with

deals as (

    select * from int_deals_resolved

),

org as (

    select * from stg_ops__org

),

activities as (

    select * from int_activities_unioned

),

visits as (

    select * from int_deal_stage_visits

),

history as (

    select * from int_deal_history_facts

),

last_activities as (

    select
        related_id as deal_id,
        max(activity_date) as last_activity_date

    from activities

    where activity_date <= getvariable('as_of_date')

    group by 1

),

current_stays as (

    select * from visits

    where left_at is null

),

final as (

    select
        deals.source,
        deals.deal_id,
        deals.deal_name,
        deals.owner_id,
        org.team,
        org.region,
        deals.deal_type,
        deals.status,
        deals.stage,
        deals.stage_order,
        deals.amount,
        deals.close_date,
        deals.next_step,
        deals.created_date,
        last_activities.last_activity_date,
        date_diff(
            'day',
            coalesce(last_activities.last_activity_date, deals.created_date),
            getvariable('as_of_date')::date
        ) as days_since_activity,
        -- an export newer than the as-of date (a backfill) can hold a stage entered later
        greatest(
            floor(
                epoch(
                    (getvariable('as_of_date')::date + interval 1 day)::timestamp
                    - current_stays.entered_at
                ) / 86400
            )::integer,
            0
        ) as days_in_stage,
        coalesce(history.push_count, 0) as push_count

    from deals

    left join org
        on deals.owner_id = org.user_id

    left join last_activities
        on deals.deal_id = last_activities.deal_id

    left join current_stays
        on
            deals.source = current_stays.source
            and deals.deal_id = current_stays.deal_id

    left join history
        on
            deals.source = history.source
            and deals.deal_id = history.deal_id

)

select * from final
