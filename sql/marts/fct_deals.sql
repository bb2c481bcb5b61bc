-- fct_deals: one row per deal, its newest record, with its owner's team and furthest stage.

with

deals as (

    select * from int_deals_resolved

),

furthest as (

    select * from int_deal_furthest_stages

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
        users.team,
        users.region,
        deals.stage,
        deals.stage_order,
        deals.status,
        deals.amount,
        deals.probability,
        deals.created_date,
        deals.close_date,
        deals.loss_reason,
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

    left join users
        on deals.owner_id = users.user_id

)

select * from final
