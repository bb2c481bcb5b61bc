-- rpt_scope_lost_deals: one row per report scope per largest lost deal (the ten largest lost
-- deals of the scope closed in the current funnel window).

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

    where period_kind = 'funnel_current'

),

ranked as (

    select
        scopes.scope_id,
        row_number() over (
            partition by scopes.scope_id
            order by deals.amount desc nulls last, deals.close_date desc, deals.deal_id
        ) as lost_rank,
        deals.deal_id,
        deals.deal_name,
        deals.account_name,
        deals.owner_id,
        deals.owner_name,
        deals.furthest_stage,
        deals.loss_reason_id,
        deals.loss_reason_en,
        deals.loss_reason_zh,
        deals.amount,
        deals.close_date

    from deals

    inner join scopes
        on deals.owner_id = scopes.member_id

    inner join windows
        on deals.close_date between windows.period_start and windows.period_end

),

final as (

    select * from ranked

    where lost_rank <= 10

)

select * from final
