-- fct_deal_history: one row per deal per change of its state (type-2 history): the state
-- held from the end of valid_from until the end of valid_to (null: it still holds; for a
-- deal gone from the export, valid_to is the day of the first run that did not find it).

with

versions as (

    select * from int_deal_versions

),

deals as (

    select * from int_deals_resolved

),

snapshots as (

    select * from stg_history__deal_states

),

run_dates as (

    select distinct as_of_date from snapshots

    union

    select getvariable('as_of_date')::date as as_of_date

),

-- a deal the CRM no longer exports is known from the records of earlier runs: in the
-- currency they recorded, until the first run after its last version, which did not find it
-- (README "History")
recorded_currencies as (

    select
        source,
        deal_id,
        arg_max(currency, as_of_date) as deal_currency

    from snapshots

    group by 1, 2

),

last_versions as (

    select
        versions.source,
        versions.deal_id,
        max(versions.version_date) as last_version_date

    from versions

    anti join deals
        on
            versions.source = deals.source
            and versions.deal_id = deals.deal_id

    group by 1, 2

),

removals as (

    select
        last_versions.source,
        last_versions.deal_id,
        min(run_dates.as_of_date) as removed_date

    from last_versions

    inner join run_dates
        on run_dates.as_of_date > last_versions.last_version_date

    group by 1, 2

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
        coalesce(
            lead(changes.version_date) over (
                partition by changes.source, changes.deal_id order by changes.version_date
            ),
            removals.removed_date
        ) as valid_to,
        changes.stage,
        changes.stage_order,
        changes.status,
        changes.amount as deal_amount,
        coalesce(
            deals.deal_currency,
            recorded_currencies.deal_currency,
            getvariable('reporting_currency')
        ) as deal_currency,
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

    left join recorded_currencies
        on
            changes.source = recorded_currencies.source
            and changes.deal_id = recorded_currencies.deal_id

    left join removals
        on
            changes.source = removals.source
            and changes.deal_id = removals.deal_id

)

select * from final
