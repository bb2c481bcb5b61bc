-- fct_waterfall_movements: one row per waterfall window per deal that was in the
-- quarter's forecast pipeline at the window's opening, is in it now, or closed in between:
-- its movement, its owner and team at the opening and now, and its part of the pipeline at
-- both ends.

with

history as (

    select * from fct_deal_history

),

deals as (

    select * from fct_deals

),

windows as (

    select * from int_report_periods

    where
        period_kind in (
            'waterfall_day', 'waterfall_week', 'waterfall_month', 'waterfall_quarter'
        )

),

quarters as (

    select * from int_report_periods

    where period_kind = 'forecast_quarter'

),

rates as (

    select * from stg_ops__fx_rates

    where rate_date <= getvariable('as_of_date')

    qualify row_number() over (partition by currency order by rate_date desc) = 1

),

known_deals as (

    select distinct
        source,
        deal_id,
        deal_currency

    from history

),

last_states as (

    select * from history

    qualify row_number() over (partition by source, deal_id order by valid_from desc) = 1

),

-- README "History": a deal removed from the CRM no longer exists from the end of the day of
-- the first run that did not find it
removals as (

    select
        source,
        deal_id,
        valid_to as valid_from,
        null::varchar as status,
        null::integer as stage_order,
        null::decimal(18, 2) as deal_amount,
        null::date as close_date,
        null::varchar as forecast_category,
        null::varchar as owner_id,
        null::varchar as team

    from last_states

    where valid_to is not null

),

timeline as (

    select
        source,
        deal_id,
        valid_from,
        status,
        stage_order,
        deal_amount,
        close_date,
        forecast_category,
        owner_id,
        team

    from history

    union all

    select * from removals

),

-- both ends in the reporting currency at the as-of date's rate, so that only the deal's
-- own changes move the pipeline (README "Currencies")
deal_rates as (

    select
        known_deals.source,
        known_deals.deal_id,
        case
            when known_deals.deal_currency = getvariable('reporting_currency') then 1
            else rates.rate
        end as fx_rate

    from known_deals

    left join rates
        on known_deals.deal_currency = rates.currency

),

window_deals as (

    select
        windows.period_kind as window_kind,
        windows.period_start as opening_date,
        windows.period_end as closing_date,
        known_deals.source,
        known_deals.deal_id

    from windows

    cross join known_deals

),

opening as (

    select
        window_deals.*,
        timeline.status,
        timeline.stage_order,
        timeline.deal_amount,
        timeline.close_date,
        timeline.forecast_category,
        timeline.owner_id,
        timeline.team

    from window_deals

    asof left join timeline
        on
            window_deals.source = timeline.source
            and window_deals.deal_id = timeline.deal_id
            and window_deals.opening_date >= timeline.valid_from

),

-- the pipeline is the forecast's: open, closing in the quarter, not omitted (README
-- "Waterfall"); a closed deal stays with the owner it closed under (README "Owner and team
-- of a closed deal")
states as (

    select
        opening.window_kind,
        opening.opening_date,
        opening.closing_date,
        opening.source,
        opening.deal_id,
        opening.status as opening_status,
        opening.stage_order as opening_stage_order,
        opening.close_date as opening_close_date,
        (opening.deal_amount * deal_rates.fx_rate)::decimal(18, 2) as opening_amount,
        deals.status as closing_status,
        deals.stage_order as closing_stage_order,
        deals.close_date as closing_close_date,
        (deals.deal_amount * deal_rates.fx_rate)::decimal(18, 2) as closing_amount,
        opening.owner_id as opening_owner_id,
        opening.team as opening_team,
        case
            when deals.status in ('won', 'lost')
                then coalesce(deals.owner_at_close_id, deals.owner_id)
            else deals.owner_id
        end as current_owner_id,
        deals.team as current_team,
        deals.deal_id is not null as is_in_crm,
        opening.status is not null as existed,
        opening.status = 'open'
        and opening.close_date between quarters.period_start and quarters.period_end
            as is_open_in_quarter_at_opening,
        coalesce(
            opening.status = 'open'
            and opening.close_date between quarters.period_start and quarters.period_end
            and opening.forecast_category <> 'omitted',
            false
        ) as in_opening,
        coalesce(
            deals.status = 'open'
            and deals.close_date between quarters.period_start and quarters.period_end,
            false
        ) as is_open_in_quarter_now,
        coalesce(
            deals.status = 'open'
            and deals.close_date between quarters.period_start and quarters.period_end
            and deals.forecast_category <> 'omitted',
            false
        ) as in_closing

    from opening

    cross join quarters

    inner join deal_rates
        on
            opening.source = deal_rates.source
            and opening.deal_id = deal_rates.deal_id

    left join deals
        on
            opening.source = deals.source
            and opening.deal_id = deals.deal_id

),

-- README "Waterfall": won, lost, removed, created, reopened, pulled in, included,
-- pushed out, omitted, expanded, contracted, advanced, slipped, unchanged
classified as (

    select
        *,
        case
            when closing_status = 'won' and opening_status is distinct from 'won' then 'won'
            when closing_status = 'lost' and opening_status is distinct from 'lost'
                then 'lost'
            when in_opening and not is_in_crm then 'removed'
            when not existed and in_closing then 'created'
            when opening_status in ('won', 'lost') and in_closing then 'reopened'
            when opening_status = 'open' and not in_opening and in_closing
                then
                    case
                        when is_open_in_quarter_at_opening then 'included'
                        else 'pulled_in'
                    end
            when in_opening and not in_closing
                then case when is_open_in_quarter_now then 'omitted' else 'pushed_out' end
            when in_opening and in_closing and closing_amount > opening_amount
                then 'expanded'
            when in_opening and in_closing and closing_amount < opening_amount
                then 'contracted'
            when in_opening and in_closing and closing_stage_order > opening_stage_order
                then 'advanced'
            -- due before the as-of date by its close date at the opening, still open
            when in_opening and in_closing and opening_close_date < closing_date
                then 'slipped'
            when in_opening and in_closing then 'unchanged'
        end as movement

    from states

),

final as (

    select
        window_kind,
        opening_date,
        closing_date,
        source,
        deal_id,
        movement,
        in_opening,
        in_closing,
        case when in_opening then coalesce(opening_amount, 0) else 0 end
            as opening_pipeline_amount,
        case when in_closing then coalesce(closing_amount, 0) else 0 end
            as closing_pipeline_amount,
        coalesce(current_owner_id, opening_owner_id) as owner_id,
        case when is_in_crm then current_team else opening_team end as team,
        -- another owner at the opening: only for a deal that existed then and is still in
        -- the CRM
        case
            when existed and is_in_crm then coalesce(opening_owner_id, current_owner_id)
            else coalesce(current_owner_id, opening_owner_id)
        end as opening_owner_id,
        case
            when existed and is_in_crm then opening_team
            when is_in_crm then current_team
            else opening_team
        end as opening_team

    from classified

    where movement is not null

)

select * from final
