-- int_activities_unioned: one row per call, meeting or task, dated by when it happens.

with

calls as (

    select * from stg_crm__calls

),

meetings as (

    select * from stg_crm__meetings

),

tasks as (

    select * from stg_crm__tasks

),

final as (

    select
        source,
        'call' as activity_type,
        call_id as activity_id,
        owner_id,
        related_id,
        subject,
        started_at::date as activity_date,
        null::varchar as status

    from calls

    union all

    select
        source,
        'meeting' as activity_type,
        meeting_id as activity_id,
        owner_id,
        related_id,
        title as subject,
        started_at::date as activity_date,
        null::varchar as status

    from meetings

    union all

    -- a task counts on its Due Date (README "Activities")
    select
        source,
        'task' as activity_type,
        task_id as activity_id,
        owner_id,
        related_id,
        subject,
        due_date as activity_date,
        status

    from tasks

)

select * from final
