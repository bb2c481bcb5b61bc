-- stg_crm__deals: one row per deal, its newest exported record by Modified Time, unless
-- that record marks the deal deleted.

with

deals as (

    select * from raw_crm__deals

),

stages as (

    select * from raw_config__stages

),

newest_first as (

    -- a deal exported in several files: the newest Modified Time wins, then the later file
    select
        *,
        row_number() over (
            partition by source, deal_id
            order by modified_at desc nulls last, file_id desc, record_number desc
        ) as recency_rank

    from deals

),

final as (

    select
        -- ids
        newest_first.deal_id,
        newest_first.owner_id,
        newest_first.account_id,
        newest_first.partner_id,
        newest_first.source,

        -- strings
        newest_first.deal_name,
        newest_first.owner_name,
        newest_first.account_name,
        newest_first.deal_type,
        newest_first.next_step,
        newest_first.lead_source,
        newest_first.loss_reason,
        newest_first.channel,
        newest_first.partner_name,
        -- the CRM's forecast category and probability, else the stage's defaults
        coalesce(
            newest_first.forecast_category, stages.default_forecast_category
        ) as forecast_category,
        upper(newest_first.currency) as currency,
        stages.stage,
        -- status by the mapping's rule (flags, a status column), else by the stage
        coalesce(newest_first.status, stages.status) as status,

        -- numerics
        newest_first.amount,
        coalesce(newest_first.probability, stages.default_probability) as probability,
        stages.stage_order,

        -- dates
        newest_first.close_date,
        newest_first.created_at::date as created_date,

        -- timestamps
        newest_first.created_at,
        newest_first.modified_at

    from newest_first

    inner join stages
        on
            newest_first.source = stages.source
            and newest_first.stage = stages.label

    where
        newest_first.recency_rank = 1
        and not coalesce(newest_first.is_deleted, false)

)

select * from final
