-- rpt_data_freshness: one row per CRM entity: how many records were loaded and the newest.

with

deals as (

    select * from fct_deals

),

events as (

    select * from fct_deal_stage_events

),

activities as (

    select * from fct_activities

),

final as (

    select
        'deals' as entity,
        count(*) as records_count,
        max(modified_at) as newest_record_at

    from deals

    union all

    select
        'deal_stage_events' as entity,
        count(*) as records_count,
        max(entered_at) as newest_record_at

    from events

    union all

    select
        activity_type || 's' as entity,
        count(*) as records_count,
        max(activity_date)::timestamp as newest_record_at

    from activities

    where activity_type <> 'task'

    group by activity_type

)

select * from final
