-- rpt_stage_velocity: one row per report scope per open stage: how long deals stay in it,
-- those that left it and those in it now, and how often deals stepped back into it.

with

events as (

    select * from fct_deal_stage_events

),

deals as (

    select * from fct_deals

),

scopes as (

    select * from int_report_scopes

),

stages as (

    select * from int_pipeline_stages

    where status = 'open'

),

final as (

    select
        scopes.scope_id,
        stages.stage,
        stages.stage_order,
        count(*) filter (where events.is_current and deals.status = 'open')
            as deals_in_stage_count,
        median(events.days_in_stage) filter (where events.is_current and deals.status = 'open')
            as median_days_so_far,
        median(events.days_in_stage) filter (where not events.is_current)
            as median_days_to_leave,
        coalesce(sum(events.regression_count), 0)::bigint as regressions_count

    from events

    inner join deals
        on
            events.source = deals.source
            and events.deal_id = deals.deal_id

    inner join scopes
        on deals.owner_id = scopes.member_id

    inner join stages
        on
            events.source = stages.source
            and events.stage = stages.stage

    group by 1, 2, 3

)

select * from final
