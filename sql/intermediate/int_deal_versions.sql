-- int_deal_versions: one row per deal per day its state is known at the end of: its
-- creation, every row of the CRM's stage history (the backfill), the snapshots earlier
-- runs recorded, and today's export. A later source of the same day wins.

with

deals as (

    select * from int_deals_resolved

),

history as (

    select * from stg_crm__deal_stage_history

),

snapshots as (

    select * from stg_history__deal_states

),

stages as (

    select * from int_pipeline_stages

),

org as (

    select * from stg_ops__org

),

as_of as (

    select (getvariable('as_of_date')::date + interval 1 day)::timestamp as as_of_end

),

moves as (

    select
        history.*,
        row_number() over (
            partition by history.source, history.deal_id
            order by history.moved_at, history.history_id
        ) as move_number

    from history

    cross join as_of

    where history.moved_at < as_of.as_of_end

),

backfill as (

    select
        moves.source,
        moves.deal_id,
        moves.moved_at::date as version_date,
        moves.moved_at as version_at,
        2 as precedence,
        moves.move_number as sequence,
        moves.to_stage as stage,
        null::varchar as status,
        moves.amount,
        moves.close_date,
        moves.probability,
        moves.forecast_category,
        null::varchar as owner_id,
        null::varchar as team

    from moves

),

recorded as (

    select
        source,
        deal_id,
        as_of_date as version_date,
        (as_of_date + interval 1 day)::timestamp as version_at,
        3 as precedence,
        0 as sequence,
        stage,
        status,
        amount,
        close_date,
        probability,
        forecast_category,
        owner_id,
        team

    from snapshots

),

today as (

    select
        deals.source,
        deals.deal_id,
        getvariable('as_of_date')::date as version_date,
        as_of.as_of_end as version_at,
        4 as precedence,
        0 as sequence,
        deals.stage,
        deals.status,
        deals.deal_amount as amount,
        deals.close_date,
        deals.probability,
        deals.forecast_category,
        deals.owner_id,
        org.team

    from deals

    cross join as_of

    left join org
        on deals.owner_id = org.user_id

    where deals.created_at is null or deals.created_at < as_of.as_of_end

),

-- the first state a run saw of each deal: the earliest record, else today's export; a deal
-- created after the as-of date (a backfill from a newer export) only the export has seen
first_seen as (

    select * from (
        select * from recorded
        union all
        select * from today
        union all
        select
            deals.source,
            deals.deal_id,
            deals.created_at::date as version_date,
            deals.created_at as version_at,
            0 as precedence,
            0 as sequence,
            deals.stage,
            deals.status,
            deals.deal_amount as amount,
            deals.close_date,
            deals.probability,
            deals.forecast_category,
            deals.owner_id,
            null::varchar as team

        from deals

        cross join as_of

        where deals.created_at >= as_of.as_of_end
    )

    qualify row_number() over (
        partition by source, deal_id order by version_at, precedence desc, sequence
    ) = 1

),

-- a deal the CRM no longer exports is still known from the records of earlier runs
created as (

    select
        source,
        deal_id,
        created_at

    from deals

    union all

    select
        snapshots.source,
        snapshots.deal_id,
        arg_max(snapshots.created_date, snapshots.as_of_date)::timestamp as created_at

    from snapshots

    anti join deals
        on
            snapshots.source = deals.source
            and snapshots.deal_id = deals.deal_id

    group by 1, 2

),

-- README "History": a deal is created in the state its CRM history starts from (the stage
-- its first move left, with that move's amount and close date), else in the state it was
-- first seen in. A later export never changes what the runs before it saw.
creations as (

    select
        created.source,
        created.deal_id,
        created.created_at::date as version_date,
        created.created_at as version_at,
        1 as precedence,
        0 as sequence,
        case
            when moves.deal_id is not null then coalesce(moves.from_stage, moves.to_stage)
            else first_seen.stage
        end as stage,
        null::varchar as status,
        case when moves.deal_id is not null then moves.amount else first_seen.amount end
            as amount,
        case
            when moves.deal_id is not null then moves.close_date
            else first_seen.close_date
        end as close_date,
        case
            when moves.deal_id is not null then moves.probability
            else first_seen.probability
        end as probability,
        case
            when moves.deal_id is not null then moves.forecast_category
            else first_seen.forecast_category
        end as forecast_category,
        null::varchar as owner_id,
        null::varchar as team

    from created

    left join moves
        on
            created.source = moves.source
            and created.deal_id = moves.deal_id
            and moves.move_number = 1

    left join first_seen
        on
            created.source = first_seen.source
            and created.deal_id = first_seen.deal_id

    where created.created_at is not null

),

versions as (

    select * from creations
    union all
    select * from backfill
    union all
    select * from recorded
    union all
    select * from today

),

-- the state at the end of each day: the last version of the day
end_of_day as (

    select * from versions

    qualify row_number() over (
        partition by source, deal_id, version_date
        order by version_at desc, precedence desc, sequence desc
    ) = 1

),

-- what a version does not say (history rows carry no owner) is what the deal had before
-- it, else what it had next; a probability or forecast category it does not say is its
-- stage's (README "Probability and forecast category")
filled as (

    select
        source,
        deal_id,
        version_date,
        stage,
        status,
        probability,
        forecast_category,
        coalesce(
            last_value(amount ignore nulls) over earlier,
            first_value(amount ignore nulls) over later
        ) as amount,
        coalesce(
            last_value(close_date ignore nulls) over earlier,
            first_value(close_date ignore nulls) over later
        ) as close_date,
        coalesce(
            last_value(owner_id ignore nulls) over earlier,
            first_value(owner_id ignore nulls) over later
        ) as owner_id,
        coalesce(
            last_value(team ignore nulls) over earlier,
            first_value(team ignore nulls) over later
        ) as team

    from end_of_day

    window
        earlier as (
            partition by source, deal_id order by version_date
            rows between unbounded preceding and current row
        ),
        later as (
            partition by source, deal_id order by version_date
            rows between current row and unbounded following
        )

),

final as (

    select
        filled.source,
        filled.deal_id,
        filled.version_date,
        filled.stage,
        stages.stage_order,
        coalesce(filled.status, stages.status) as status,
        filled.amount,
        filled.close_date,
        coalesce(filled.probability, stages.default_probability) as probability,
        coalesce(filled.forecast_category, stages.default_forecast_category)
            as forecast_category,
        filled.owner_id,
        filled.team

    from filled

    inner join stages
        on
            filled.source = stages.source
            and filled.stage = stages.stage

)

select * from final
