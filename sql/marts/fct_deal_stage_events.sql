-- fct_deal_stage_events: one row per deal per stage it entered.

with

visits as (

    select * from int_deal_stage_visits

),

stages as (

    select * from int_pipeline_stages

),

as_of as (

    select (getvariable('as_of_date')::date + interval 1 day)::timestamp as as_of_end

),

-- days in stage counts every stay, the current one up to the end of the as-of date;
-- closed stages have no duration (README "Stage history")
final as (

    select
        visits.deal_id,
        visits.stage,
        stages.stage_order,
        stages.status,
        min(visits.entered_at) as entered_at,
        case
            when bool_or(visits.left_at is null) then null
            else max(visits.left_at)
        end as left_at,
        bool_or(visits.left_at is null) as is_current,
        count(*) as visit_count,
        count(*) filter (where visits.is_regression) as regression_count,
        case
            when stages.status = 'open' then sum(
                greatest(
                    epoch(least(coalesce(visits.left_at, as_of.as_of_end), as_of.as_of_end)
                        - visits.entered_at),
                    0
                )
            ) / 86400
        end as days_in_stage,
        visits.source

    from visits

    inner join stages
        on
            visits.source = stages.source
            and visits.stage = stages.stage

    cross join as_of

    group by visits.deal_id, visits.stage, stages.stage_order, stages.status, visits.source

)

select * from final
