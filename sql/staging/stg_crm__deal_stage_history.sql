-- stg_crm__deal_stage_history: one row per history record of a deal: it entered to_stage
-- (from from_stage, where the CRM says) at moved_at.

with

history as (

    select * from raw_crm__deal_stage_history

),

stages as (

    select * from raw_config__stages

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, history_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from history

),

final as (

    select
        -- ids
        newest_first.history_id,
        newest_first.deal_id,
        newest_first.moved_by_id,
        newest_first.source,

        -- strings
        from_stages.stage as from_stage,
        to_stages.stage as to_stage,
        newest_first.forecast_category,

        -- numerics
        newest_first.amount,
        newest_first.probability,
        newest_first.stage_duration_days,

        -- dates
        newest_first.close_date,

        -- timestamps
        newest_first.moved_at

    from newest_first

    left join stages as from_stages
        on
            newest_first.source = from_stages.source
            and newest_first.from_stage = from_stages.label

    inner join stages as to_stages
        on
            newest_first.source = to_stages.source
            and newest_first.to_stage = to_stages.label

    where
        newest_first.recency_rank = 1
        and not coalesce(newest_first.is_deleted, false)

)

select * from final
