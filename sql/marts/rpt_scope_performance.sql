-- rpt_scope_performance: one row per report scope per period per owner in the scope, plus one
-- total row (owner_id null) per scope per period. Periods: month to date, quarter to date,
-- and each of the last twelve months.

with

owner_months as (

    select * from int_owner_months

),

scopes as (

    select * from int_report_scopes

),

periods as (

    select * from int_report_periods

    where period_kind in ('month_to_date', 'quarter_to_date', 'month')

),

users as (

    select * from dim_users

),

period_facts as (

    select
        scopes.scope_id,
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        owner_months.owner_id,
        sum(owner_months.won_count) as won_count,
        sum(owner_months.won_amount) as won_amount,
        sum(owner_months.lost_count) as lost_count,
        sum(owner_months.lost_amount) as lost_amount,
        sum(owner_months.target_won_amount) as target_won_amount,
        sum(owner_months.activities_count) as activities_count

    from owner_months

    inner join scopes
        on owner_months.owner_id = scopes.member_id

    inner join periods
        on owner_months.month between date_trunc('month', periods.period_start)
        and periods.period_end

    group by grouping sets (
        (scopes.scope_id, periods.period_kind, periods.period_start, periods.period_end,
            owner_months.owner_id),
        (scopes.scope_id, periods.period_kind, periods.period_start, periods.period_end)
    )

),

final as (

    select
        period_facts.scope_id,
        period_facts.period_kind,
        period_facts.period_start,
        period_facts.period_end,
        period_facts.owner_id,
        users.name as owner_name,
        users.team,
        period_facts.won_count::bigint as won_count,
        period_facts.won_amount::decimal(18, 2) as won_amount,
        period_facts.lost_count::bigint as lost_count,
        period_facts.lost_amount::decimal(18, 2) as lost_amount,
        win_rate(period_facts.won_count, period_facts.lost_count) as win_rate,
        win_rate(period_facts.won_amount, period_facts.lost_amount) as win_rate_amount,
        average_amount(period_facts.won_amount, period_facts.won_count) as avg_won_amount,
        period_facts.target_won_amount::decimal(18, 2) as target_won_amount,
        attainment_rate(
            period_facts.won_amount, period_facts.target_won_amount
        ) as attainment_rate,
        period_facts.activities_count::bigint as activities_count

    from period_facts

    left join users
        on period_facts.owner_id = users.user_id

)

select * from final
