-- stg_crm__activities: one row per follow-up record of a CRM that logs every contact in one
-- list (a call, a visit, a message), from the last file that exported it.

with

activities as (

    select * from raw_crm__activities

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, activity_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from activities

),

final as (

    select
        -- ids
        activity_id,
        owner_id,
        related_id,
        source,

        -- strings
        activity_type,
        subject,
        owner_name,
        related_name,

        -- timestamps
        started_at

    from newest_first

    where recency_rank = 1

)

select * from final
