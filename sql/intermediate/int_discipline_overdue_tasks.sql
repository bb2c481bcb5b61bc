-- int_discipline_overdue_tasks: one row per overdue_task rule per task more than the rule's
-- days past its due date whose status is not one of the rule's completed statuses.

with

activities as (

    select * from int_activities_unioned

    where activity_type = 'task'

),

org as (

    select * from stg_ops__org

),

rules as (

    select * from stg_config__rules

    where kind = 'overdue_task' and enabled

),

overdue as (

    select
        activities.*,
        org.team,
        org.region,
        date_diff('day', activities.activity_date, getvariable('as_of_date')::date)
            as days_overdue

    from activities

    left join org
        on activities.owner_id = org.user_id

    where activities.activity_date < getvariable('as_of_date')::date

),

final as (

    select
        rules.rule_id,
        'task' as record_type,
        overdue.activity_id as record_id,
        overdue.subject as record_name,
        overdue.owner_id,
        overdue.days_overdue::double as measured_value,
        rules.days::double as threshold_value,
        overdue.status as detail

    from overdue

    inner join rules
        on in_rule_scope(rules.teams, rules.regions, overdue.team, overdue.region)

    where
        overdue.days_overdue > rules.days
        and not list_contains(rules.completed_statuses, coalesce(overdue.status, ''))

)

select * from final
