-- int_pipeline_stages: one row per source per canonical stage, in pipeline order.

with

stages as (

    select * from stg_config__stages

),

canonical as (

    select distinct
        source,
        stage,
        stage_order,
        status,
        default_probability,
        default_forecast_category

    from stages

),

final as (

    select
        source,
        stage,
        stage_order,
        status,
        default_probability,
        default_forecast_category,
        -- the next open stage; after the last open stage comes the won stage
        case
            when status = 'open' then lead(stage_order) over (
                partition by source, status = 'open' order by stage_order
            )
        end as next_stage_order,
        stage_order = min(stage_order) filter (where status = 'open') over (
            partition by source
        ) as is_first_stage

    from canonical

)

select * from final
