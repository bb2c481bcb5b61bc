-- rpt_scope_loss_reasons: one row per report scope per stage where deals were lost per loss
-- reason (README "Loss reasons"), for the deals created in the current and the previous
-- window of cohort months.

with

deals as (

    select * from fct_deals

    where status = 'lost'

),

scopes as (

    select * from int_report_scopes

),

windows as (

    select * from int_report_periods

    where period_kind in ('funnel_current', 'funnel_previous')

),

final as (

    select
        scopes.scope_id,
        deals.furthest_stage as stage,
        deals.furthest_stage_order as stage_order,
        deals.loss_reason_id,
        deals.loss_reason_en,
        deals.loss_reason_zh,
        count(*) filter (
            where windows.period_kind = 'funnel_current'
        ) as lost_count,
        coalesce(
            sum(deals.amount) filter (where windows.period_kind = 'funnel_current'), 0
        )::decimal(18, 2) as lost_amount,
        count(*) filter (
            where windows.period_kind = 'funnel_previous'
        ) as previous_lost_count,
        coalesce(
            sum(deals.amount) filter (where windows.period_kind = 'funnel_previous'), 0
        )::decimal(18, 2) as previous_lost_amount

    from deals

    inner join scopes
        on deals.owner_id = scopes.member_id

    inner join windows
        on deals.created_date between windows.period_start and windows.period_end

    group by 1, 2, 3, 4, 5, 6

)

select * from final
