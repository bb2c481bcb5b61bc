-- rpt_scope_funnel: one row per report scope per open stage: the funnel of the deals created
-- in the current window of cohort months, beside the same funnel for the window before.

with

funnel as (

    select * from int_deal_funnel_stages

),

deals as (

    select * from fct_deals

),

scopes as (

    select * from int_report_scopes

),

windows as (

    select * from int_report_periods

    where period_kind in ('funnel_current', 'funnel_previous')

),

window_totals as (

    select
        scopes.scope_id,
        funnel.stage,
        funnel.stage_order,
        windows.period_kind,
        count(*) filter (where funnel.is_reached) as deals_reached,
        count(*) filter (where funnel.is_reached_next) as deals_reached_next,
        count(*) filter (where funnel.is_lost_here) as deals_lost_here,
        coalesce(
            sum(deals.amount) filter (where funnel.is_lost_here), 0
        )::decimal(18, 2) as lost_amount_here,
        median(funnel.days_in_stage) as median_days_in_stage

    from funnel

    inner join deals
        on
            funnel.source = deals.source
            and funnel.deal_id = deals.deal_id

    inner join scopes
        on deals.owner_id = scopes.member_id

    inner join windows
        on deals.created_date between windows.period_start and windows.period_end

    group by 1, 2, 3, 4

),

current_window as (

    select * from window_totals where period_kind = 'funnel_current'

),

previous_window as (

    select * from window_totals where period_kind = 'funnel_previous'

),

compared as (

    select
        coalesce(current_window.scope_id, previous_window.scope_id) as scope_id,
        coalesce(current_window.stage, previous_window.stage) as stage,
        coalesce(current_window.stage_order, previous_window.stage_order) as stage_order,
        coalesce(current_window.deals_reached, 0) as deals_reached,
        coalesce(current_window.deals_lost_here, 0) as deals_lost_here,
        coalesce(current_window.lost_amount_here, 0)::decimal(18, 2) as lost_amount_here,
        conversion_rate(
            current_window.deals_reached_next, current_window.deals_reached
        ) as conversion_rate,
        current_window.median_days_in_stage,
        coalesce(previous_window.deals_reached, 0) as previous_deals_reached,
        coalesce(previous_window.deals_lost_here, 0) as previous_deals_lost_here,
        coalesce(
            previous_window.lost_amount_here, 0
        )::decimal(18, 2) as previous_lost_amount_here,
        conversion_rate(
            previous_window.deals_reached_next, previous_window.deals_reached
        ) as previous_conversion_rate,
        conversion_rate(
            current_window.deals_reached_next, current_window.deals_reached
        ) - conversion_rate(
            previous_window.deals_reached_next, previous_window.deals_reached
        ) as conversion_rate_change

    from current_window

    full outer join previous_window
        on
            current_window.scope_id = previous_window.scope_id
            and current_window.stage = previous_window.stage
            and current_window.stage_order = previous_window.stage_order

),

-- the company's conversion at each stage: the benchmark a team is read against
final as (

    select
        compared.*,
        company.conversion_rate as company_conversion_rate,
        compared.conversion_rate - company.conversion_rate as conversion_vs_company

    from compared

    left join compared as company
        on
            company.scope_id = 'company'
            and compared.stage = company.stage
            and compared.stage_order = company.stage_order

)

select * from final
