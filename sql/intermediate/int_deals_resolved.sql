-- int_deals_resolved: one row per deal, with its owner resolved (int_owner_keys).

with

deals as (

    select * from stg_crm__deals

),

owners as (

    select * from int_owner_keys

),

final as (

    select
        deals.deal_id,
        owners.resolved_owner_id as owner_id,
        deals.account_id,
        deals.source,
        deals.deal_name,
        deals.owner_name,
        deals.account_name,
        deals.deal_type,
        deals.next_step,
        deals.lead_source,
        deals.loss_reason,
        deals.forecast_category,
        deals.stage,
        deals.status,
        deals.amount,
        deals.probability,
        deals.stage_order,
        deals.close_date,
        deals.created_date,
        deals.created_at,
        deals.modified_at

    from deals

    inner join owners
        on
            deals.owner_id is not distinct from owners.owner_id
            and deals.owner_name is not distinct from owners.owner_name

)

select * from final
