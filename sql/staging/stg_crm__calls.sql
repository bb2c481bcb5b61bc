-- stg_crm__calls: one row per call, from the last file that exported it.

with

calls as (

    select * from raw_crm__calls

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, call_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from calls

),

final as (

    select
        -- ids
        call_id,
        owner_id,
        related_id,
        source,

        -- strings
        subject,
        call_type,
        owner_name,
        related_name,

        -- numerics
        duration_seconds,

        -- timestamps
        started_at

    from newest_first

    where recency_rank = 1

)

select * from final
