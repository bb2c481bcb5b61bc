-- int_closed_deals: one row per deal won or lost on or before the as-of date, credited to
-- the rep who owned it when it closed, with its sales cycle in days (README "Metrics").

with

deals as (

    select * from int_deals_resolved

),

history as (

    select * from int_deal_history_facts

),

final as (

    select
        deals.source,
        deals.deal_id,
        coalesce(history.owner_at_close_id, deals.owner_id) as owner_id,
        deals.account_id,
        deals.account_name,
        deals.status,
        deals.close_date,
        coalesce(deals.amount, 0) as amount,
        greatest(date_diff('day', deals.created_date, deals.close_date), 0) as cycle_days

    from deals

    left join history
        on
            deals.source = history.source
            and deals.deal_id = history.deal_id

    where
        deals.status in ('won', 'lost')
        and deals.close_date <= getvariable('as_of_date')

)

select * from final
