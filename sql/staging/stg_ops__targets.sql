-- stg_ops__targets: one row per person per month per metric.

with

targets as (

    select * from raw_ops__targets

),

final as (

    select
        -- ids
        user_id,

        -- strings
        metric,

        -- numerics
        target,

        -- dates
        period as period_month

    from targets

)

select * from final
