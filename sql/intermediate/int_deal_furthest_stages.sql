-- int_deal_furthest_stages: one row per deal, the furthest stage of its pipeline it reached.

with

deals as (

    select * from int_deals_resolved

),

visits as (

    select * from int_deal_stage_visits

),

stages as (

    select * from int_pipeline_stages

),

last_open_orders as (

    select
        source,
        max(stage_order) as last_open_order

    from stages

    where status = 'open'

    group by 1

),

-- the furthest open stage a deal sat in; having sat in the won stage (a deal won, then
-- reopened or lost) counts as having passed every open stage
reached_orders as (

    select
        visits.source,
        visits.deal_id,
        max(
            case
                when stages.status = 'won' then last_open_orders.last_open_order
                else stages.stage_order
            end
        ) as furthest_stage_order

    from visits

    inner join stages
        on
            visits.source = stages.source
            and visits.stage = stages.stage

    inner join last_open_orders
        on visits.source = last_open_orders.source

    where stages.status in ('open', 'won')

    group by 1, 2

),

first_stages as (

    select * from stages

    where is_first_stage

),

won_stages as (

    select * from stages

    where status = 'won'

),

-- a won deal passed every stage, whatever stage its CRM left it in; a deal that never sat
-- in an open stage still entered the funnel at its first stage (README "Metrics")
final as (

    select
        deals.source,
        deals.deal_id,
        furthest.stage as furthest_stage,
        furthest.stage_order as furthest_stage_order

    from deals

    left join reached_orders
        on
            deals.source = reached_orders.source
            and deals.deal_id = reached_orders.deal_id

    left join first_stages
        on deals.source = first_stages.source

    left join won_stages
        on deals.source = won_stages.source

    left join stages as furthest
        on
            deals.source = furthest.source
            and furthest.stage_order = case
                when deals.status = 'won' then won_stages.stage_order
                else coalesce(
                    reached_orders.furthest_stage_order, first_stages.stage_order
                )
            end

)

select * from final
