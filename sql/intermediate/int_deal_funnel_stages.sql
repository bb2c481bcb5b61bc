-- int_deal_funnel_stages: one row per deal per open stage of its pipeline, with what the
-- deal did there; the funnel marts add these flags up.

with

deals as (

    select * from int_deals_resolved

),

furthest as (

    select * from int_deal_furthest_stages

),

visits as (

    select * from int_deal_stage_visits

),

open_stages as (

    select * from int_pipeline_stages

    where status = 'open'

),

completed_stays as (

    select
        source,
        deal_id,
        stage,
        sum(epoch(left_at - entered_at)) / 86400 as days_in_stage

    from visits

    where left_at is not null

    group by 1, 2, 3

),

-- reached: the deal got to this stage or a later one (a won deal passed them all);
-- reached_next: it got past this stage, to the next open stage or, after the last, to won
final as (

    select
        deals.source,
        deals.deal_id,
        open_stages.stage,
        open_stages.stage_order,
        furthest.furthest_stage_order >= open_stages.stage_order as is_reached,
        case
            when open_stages.next_stage_order is null then deals.status = 'won'
            else furthest.furthest_stage_order >= open_stages.next_stage_order
        end as is_reached_next,
        deals.status = 'lost'
        and furthest.furthest_stage_order = open_stages.stage_order as is_lost_here,
        completed_stays.days_in_stage

    from deals

    inner join furthest
        on
            deals.source = furthest.source
            and deals.deal_id = furthest.deal_id

    inner join open_stages
        on deals.source = open_stages.source

    left join completed_stays
        on
            deals.source = completed_stays.source
            and deals.deal_id = completed_stays.deal_id
            and open_stages.stage = completed_stays.stage

)

select * from final
