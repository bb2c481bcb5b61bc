-- stg_config__stages: one row per source per stage label, with the canonical stage it means.

with

stages as (

    select * from raw_config__stages

),

final as (

    select
        -- ids
        source,

        -- strings
        label,
        stage,
        status,

        default_forecast_category,

        -- numerics
        stage_order,
        default_probability

    from stages

)

select * from final
