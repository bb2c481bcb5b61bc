-- rpt_scope_funnel_leaks: one row per report scope per largest leak: the ten stage × owner ×
-- lead source combinations that lost the most amount among the deals created in the current
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

    where period_kind = 'funnel_current'

),

users as (

    select * from dim_users

),

leaks as (

    select
        scopes.scope_id,
        deals.furthest_stage as stage,
        deals.furthest_stage_order as stage_order,
        deals.owner_id,
        deals.lead_source,
        count(*) as lost_count,
        coalesce(sum(deals.amount), 0) as lost_amount

    from deals

    inner join scopes
        on deals.owner_id = scopes.member_id

    inner join windows
        on deals.created_date between windows.period_start and windows.period_end

    group by 1, 2, 3, 4, 5

),

ranked as (

    select
        *,
        row_number() over (
            partition by scope_id
            order by lost_amount desc, lost_count desc, stage_order, stage, owner_id,
                lead_source nulls last
        ) as leak_rank,
        sum(lost_amount) over (partition by scope_id) as scope_lost_amount

    from leaks

),

final as (

    select
        ranked.scope_id,
        ranked.leak_rank,
        ranked.stage,
        ranked.stage_order,
        ranked.owner_id,
        users.name as owner_name,
        ranked.lead_source,
        ranked.lost_count::bigint as lost_count,
        ranked.lost_amount::decimal(18, 2) as lost_amount,
        ranked.lost_amount / nullif(ranked.scope_lost_amount, 0) as amount_share

    from ranked

    left join users
        on ranked.owner_id = users.user_id

    where ranked.leak_rank <= 10

)

select * from final
