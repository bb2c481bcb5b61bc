-- rpt_channel_performance: one row per report scope × period × sales channel, plus one row
-- per partner (agent or distributor) of the channel with deals in the period (partner_id
-- null: the channel's total). Periods: each of the last twelve months, the quarter to date
-- and the last twelve months together. Deals created count by Created Time and their
-- current owner; won and lost deals by Closing Date and the owner at close (README
-- "Metrics": channel performance).

with

deals as (

    select * from int_deals_resolved

),

closed as (

    select * from int_closed_deals

),

deal_channels as (

    select * from int_deal_channels

),

scopes as (

    select * from int_report_scopes

),

report_periods as (

    select * from int_report_periods

),

periods as (

    select
        period_kind,
        period_start,
        period_end

    from report_periods

    where period_kind in ('month', 'quarter_to_date')

    union all

    select
        'last_12_months' as period_kind,
        min(period_start) as period_start,
        max(period_end) as period_end

    from report_periods

    where period_kind = 'month'

),

-- each fact on its day: a deal created, won or lost
facts as (

    select
        source,
        deal_id,
        owner_id,
        'created' as fact,
        created_date as fact_date,
        coalesce(amount, 0) as amount,
        null::integer as cycle_days

    from deals

    where created_date <= getvariable('as_of_date')

    union all

    select
        source,
        deal_id,
        owner_id,
        status as fact,
        close_date as fact_date,
        amount,
        cycle_days

    from closed

),

scoped_facts as (

    select
        scopes.scope_id,
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        deal_channels.channel,
        deal_channels.partner_id,
        deal_channels.partner_name,
        deal_channels.partner_type,
        facts.fact,
        facts.amount,
        facts.cycle_days

    from facts

    inner join deal_channels
        on
            facts.source = deal_channels.source
            and facts.deal_id = deal_channels.deal_id

    inner join scopes
        on facts.owner_id = scopes.member_id

    inner join periods
        on facts.fact_date between periods.period_start and periods.period_end

),

channel_totals as (

    select
        scope_id,
        period_kind,
        period_start,
        period_end,
        channel,
        null::varchar as partner_id,
        null::varchar as partner_name,
        null::varchar as partner_type,
        count(*) filter (where fact = 'created') as created_count,
        coalesce(sum(amount) filter (where fact = 'created'), 0) as created_amount,
        count(*) filter (where fact = 'won') as won_count,
        coalesce(sum(amount) filter (where fact = 'won'), 0) as won_amount,
        count(*) filter (where fact = 'lost') as lost_count,
        coalesce(sum(amount) filter (where fact = 'lost'), 0) as lost_amount,
        median(cycle_days) filter (where fact = 'won') as median_cycle_days

    from scoped_facts

    group by 1, 2, 3, 4, 5

),

partner_totals as (

    select
        scope_id,
        period_kind,
        period_start,
        period_end,
        channel,
        partner_id,
        max(partner_name) as partner_name,
        max(partner_type) as partner_type,
        count(*) filter (where fact = 'created') as created_count,
        coalesce(sum(amount) filter (where fact = 'created'), 0) as created_amount,
        count(*) filter (where fact = 'won') as won_count,
        coalesce(sum(amount) filter (where fact = 'won'), 0) as won_amount,
        count(*) filter (where fact = 'lost') as lost_count,
        coalesce(sum(amount) filter (where fact = 'lost'), 0) as lost_amount,
        median(cycle_days) filter (where fact = 'won') as median_cycle_days

    from scoped_facts

    where partner_id is not null

    group by 1, 2, 3, 4, 5, 6

),

totals as (

    select * from channel_totals
    union all
    select * from partner_totals

),

final as (

    select
        scope_id,
        period_kind,
        period_start::date as period_start,
        period_end::date as period_end,
        channel,
        partner_id,
        partner_name,
        partner_type,
        created_count,
        created_amount::decimal(18, 2) as created_amount,
        won_count,
        won_amount::decimal(18, 2) as won_amount,
        lost_count,
        lost_amount::decimal(18, 2) as lost_amount,
        win_rate(won_count, lost_count)::double as win_rate,
        average_amount(won_amount, won_count) as avg_won_amount,
        median_cycle_days::double as median_cycle_days

    from totals

)

select * from final
