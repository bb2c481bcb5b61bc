-- stg_ops__targets: one row per target as targets.csv gives it: a rep's (user_id) or a
-- team's, for a month or a fiscal quarter, per metric.

with

targets as (

    select * from raw_ops__targets

),

final as (

    select
        -- ids
        user_id,
        file_id as file_number,
        record_number,

        -- strings
        team,
        coalesce(user_id, team) as holder_id,
        case when user_id is not null then 'rep' else 'team' end as holder_kind,
        metric,
        period,
        case when period_months(period) = 3 then 'quarter' else 'month' end as period_kind,

        -- numerics
        target,
        period_months(period) as period_months,

        -- dates
        period_start(period) as period_start

    from targets

)

select * from final
