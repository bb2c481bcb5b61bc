-- int_deal_history_facts: one row per deal with what its history says: how often and how
-- far its close date was pushed while open, and who owned it, in which team, when it closed.

with

versions as (

    select * from int_deal_versions

),

steps as (

    select
        *,
        lag(status) over by_day as previous_status,
        lag(close_date) over by_day as previous_close_date,
        row_number() over by_day as version_number,
        status = 'open' and lag(status) over by_day = 'open'
        and close_date > lag(close_date) over by_day as is_push

    from versions

    window by_day as (partition by source, deal_id order by version_date)

),

-- a push: the close date moved later while the deal stayed open (closing sets the actual
-- date, which is not a push) (README "Metrics")
pushes as (

    select
        source,
        deal_id,
        count(*) filter (where is_push) as push_count,
        coalesce(
            sum(date_diff('day', previous_close_date, close_date)) filter (where is_push), 0
        )::bigint as days_slipped,
        min(close_date) as first_close_date

    from steps

    group by 1, 2

),

-- the version where the deal last became closed (or its first, if it never was open)
closings as (

    select
        source,
        deal_id,
        owner_id as owner_at_close_id,
        team as team_at_close

    from steps

    where
        status in ('won', 'lost')
        and (previous_status = 'open' or version_number = 1)

    qualify row_number() over (
        partition by source, deal_id order by version_date desc
    ) = 1

),

final as (

    select
        pushes.source,
        pushes.deal_id,
        pushes.push_count,
        pushes.days_slipped,
        pushes.first_close_date,
        closings.owner_at_close_id,
        closings.team_at_close

    from pushes

    left join closings
        on
            pushes.source = closings.source
            and pushes.deal_id = closings.deal_id

)

select * from final
