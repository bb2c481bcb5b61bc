-- stg_crm__tasks: one row per task, from the last file that exported it.

with

tasks as (

    select * from raw_crm__tasks

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, task_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from tasks

),

final as (

    select
        -- ids
        task_id,
        owner_id,
        related_id,
        source,

        -- strings
        subject,
        status,
        priority,
        owner_name,
        related_name,

        -- dates
        due_date

    from newest_first

    where
        recency_rank = 1
        and not coalesce(is_deleted, false)

)

select * from final
