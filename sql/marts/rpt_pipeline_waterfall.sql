-- rpt_pipeline_waterfall: one row per waterfall window per team per owner per movement: how
-- the open pipeline closing in the fiscal quarter went from the window's opening day to the
-- as-of date. Each deal takes one movement, by the precedence in the README ("Waterfall");
-- opening + every movement = closing, in deals and in amount.

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
        known_deals.deal_id,
        known_deals.deal_currency

    from windows

    cross join known_deals

),

opening as (

    select
        window_deals.*,
        history.status,
        history.stage_order,
        history.deal_amount,
        history.close_date,
        history.owner_id,
        history.team

    from window_deals

    asof left join history
        on
            window_deals.source = history.source
            and window_deals.deal_id = history.deal_id
            and window_deals.opening_date >= history.valid_from

),

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
        coalesce(deals.owner_id, opening.owner_id) as owner_id,
        case when deals.deal_id is not null then deals.team else opening.team end as team,
        deals.deal_id is not null as is_in_crm,
        opening.status is not null as existed,
        opening.status = 'open'
        and opening.close_date between quarters.period_start and quarters.period_end
            as in_opening,
        deals.status = 'open'
        and deals.close_date between quarters.period_start and quarters.period_end
            as in_closing

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

-- README "Waterfall": won, lost, removed, created, reopened, pulled in, pushed out,
-- expanded, contracted, advanced, slipped, unchanged
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
            when opening_status = 'open' and not in_opening and in_closing then 'pulled_in'
            when in_opening and not coalesce(in_closing, false) then 'pushed_out'
            when in_opening and in_closing and closing_amount > opening_amount
                then 'expanded'
            when in_opening and in_closing and closing_amount < opening_amount
                then 'contracted'
            when in_opening and in_closing and closing_stage_order > opening_stage_order
                then 'advanced'
            when in_opening and in_closing and opening_close_date < closing_date
                then 'slipped'
            when in_opening and in_closing then 'unchanged'
        end as movement,
        case when in_opening then 1 else 0 end as opening_count,
        case when coalesce(in_closing, false) then 1 else 0 end as closing_count,
        case when in_opening then coalesce(opening_amount, 0) else 0 end
            as opening_pipeline,
        case when coalesce(in_closing, false) then coalesce(closing_amount, 0) else 0 end
            as closing_pipeline

    from states

),

movements as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        movement,
        count(*) as deals_count,
        sum(closing_count - opening_count) as count_change,
        sum(closing_pipeline - opening_pipeline) as amount_change

    from classified

    where movement is not null

    group by 1, 2, 3, 4, 5, 6

),

ends as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        sum(opening_count) as opening_count,
        sum(opening_pipeline) as opening_pipeline,
        sum(closing_count) as closing_count,
        sum(closing_pipeline) as closing_pipeline

    from classified

    where movement is not null

    group by 1, 2, 3, 4, 5

),

-- the order the report lists the movements in
movement_orders as (

    select * from (
        values
        ('opening', 0), ('created', 1), ('reopened', 2), ('pulled_in', 3),
        ('expanded', 4), ('contracted', 5), ('advanced', 6), ('slipped', 7),
        ('unchanged', 8), ('pushed_out', 9), ('won', 10), ('lost', 11), ('removed', 12),
        ('closing', 13)
    ) as orders (movement, movement_order)

),

rows_unioned as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        'opening' as movement,
        opening_count as deals_count,
        opening_count as count_change,
        opening_pipeline as amount

    from ends

    union all

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        movement,
        deals_count,
        count_change,
        amount_change as amount

    from movements

    union all

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        'closing' as movement,
        closing_count as deals_count,
        closing_count as count_change,
        closing_pipeline as amount

    from ends

),

final as (

    select
        rows_unioned.window_kind,
        rows_unioned.opening_date,
        rows_unioned.closing_date,
        rows_unioned.team,
        rows_unioned.owner_id,
        rows_unioned.movement,
        movement_orders.movement_order::bigint as movement_order,
        rows_unioned.deals_count::bigint as deals_count,
        rows_unioned.count_change::bigint as count_change,
        rows_unioned.amount::decimal(18, 2) as amount

    from rows_unioned

    inner join movement_orders
        on rows_unioned.movement = movement_orders.movement

)

select * from final
