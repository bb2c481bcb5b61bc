-- fct_deal_history: one row per deal per change of its state (type-2 history): the state
-- held from the end of valid_from until valid_to (null: it still holds).

with

versions as (

    select * from int_deal_versions

),

deals as (

    select * from int_deals_resolved

),

compared as (

    select
        *,
        lag(
            row(stage, status, amount, close_date, probability, forecast_category, owner_id,
                team)
        ) over (partition by source, deal_id order by version_date) as previous_state,
        row(stage, status, amount, close_date, probability, forecast_category, owner_id,
            team) as state

    from versions

),

changes as (

    select * from compared

    where previous_state is null or previous_state is distinct from state

),

final as (

    select
        changes.deal_id,
        changes.version_date as valid_from,
        lead(changes.version_date) over (
            partition by changes.source, changes.deal_id order by changes.version_date
        ) as valid_to,
        changes.stage,
        changes.stage_order,
        changes.status,
        changes.amount as deal_amount,
        coalesce(deals.deal_currency, getvariable('reporting_currency')) as deal_currency,
        changes.close_date,
        changes.probability,
        changes.forecast_category,
        changes.owner_id,
        changes.team,
        changes.source

    from changes

    left join deals
        on
            changes.source = deals.source
            and changes.deal_id = deals.deal_id

)

select * from final
