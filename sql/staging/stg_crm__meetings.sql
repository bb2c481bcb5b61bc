-- stg_crm__meetings: one row per meeting, from the last file that exported it.

with

meetings as (

    select * from raw_crm__meetings

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, meeting_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from meetings

),

final as (

    select
        -- ids
        meeting_id,
        owner_id,
        related_id,
        source,

        -- strings
        title,
        owner_name,
        related_name,

        -- timestamps
        started_at,
        ended_at

    from newest_first

    where recency_rank = 1

)

select * from final
