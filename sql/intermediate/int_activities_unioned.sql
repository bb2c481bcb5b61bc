-- int_activities_unioned: one row per call, meeting, task or logged follow-up, dated by when
-- it happens, with its owner resolved (int_owner_keys).

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

follow_ups as (

    select * from stg_crm__activities

),

owners as (

    select * from int_owner_keys

),

unioned as (

    select
        source,
        'call' as activity_type,
        call_id as activity_id,
        owner_id,
        owner_name,
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
        owner_name,
        related_id,
        title as subject,
        started_at::date as activity_date,
        null::varchar as status

    from meetings

    union all

    -- a task counts on its Due Date (README "Metrics")
    select
        source,
        'task' as activity_type,
        task_id as activity_id,
        owner_id,
        owner_name,
        related_id,
        subject,
        due_date as activity_date,
        status

    from tasks

    union all

    select
        source,
        activity_type,
        activity_id,
        owner_id,
        owner_name,
        related_id,
        subject,
        started_at::date as activity_date,
        null::varchar as status

    from follow_ups

),

final as (

    select
        unioned.source,
        unioned.activity_type,
        unioned.activity_id,
        owners.resolved_owner_id as owner_id,
        unioned.related_id,
        unioned.subject,
        unioned.activity_date,
        unioned.status

    from unioned

    inner join owners
        on
            unioned.owner_id is not distinct from owners.owner_id
            and unioned.owner_name is not distinct from owners.owner_name

)

select * from final
