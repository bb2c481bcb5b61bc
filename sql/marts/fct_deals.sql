-- fct_deals: one row per deal, its newest record, with its owner's team, its furthest stage
-- and what its history says (pushes, owner at close).

with

deals as (

    select * from int_deals_resolved

),

furthest as (

    select * from int_deal_furthest_stages

),

history as (

    select * from int_deal_history_facts

),

users as (

    select * from dim_users

),

final as (

    select
        deals.deal_id,
        deals.deal_name,
        deals.account_id,
        deals.account_name,
        deals.owner_id,
        users.name as owner_name,
        -- a closed deal counts in the team its owner was in when it closed
        -- (README "Hierarchy")
        case
            when deals.status in ('won', 'lost')
                then coalesce(history.team_at_close, users.team)
            else users.team
        end as team,
        users.region,
        history.owner_at_close_id,
        deals.stage,
        deals.stage_order,
        deals.status,
        deals.amount,
        deals.deal_amount,
        deals.deal_currency,
        deals.fx_rate,
        deals.probability,
        deals.forecast_category,
        deals.created_date,
        deals.close_date,
        history.first_close_date,
        history.push_count,
        history.days_slipped,
        deals.loss_reason,
        deals.loss_reason_id,
        deals.loss_reason_en,
        deals.loss_reason_zh,
        deals.lead_source,
        deals.deal_type,
        deals.next_step,
        furthest.furthest_stage,
        furthest.furthest_stage_order,
        deals.source,
        deals.created_at,
        deals.modified_at

    from deals

    inner join furthest
        on
            deals.source = furthest.source
            and deals.deal_id = furthest.deal_id

    left join history
        on
            deals.source = history.source
            and deals.deal_id = history.deal_id

    left join users
        on deals.owner_id = users.user_id

)

select * from final
