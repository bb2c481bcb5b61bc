-- rpt_scope_performance: one row per report scope per period per owner in the scope, plus one
-- total row (owner_id null) per scope per period. Periods: month to date, quarter to date,
-- the same stretch of the quarter a year earlier, and each of the last twelve months.

with

facts as (

    select * from int_performance_facts

),

scopes as (

    select * from int_report_scopes

),

periods as (

    select * from int_report_periods

    where
        period_kind in (
            'month_to_date', 'quarter_to_date', 'previous_year_quarter_to_date', 'month'
        )

),

users as (

    select * from dim_users

),

-- README "Metrics": a period's target is its months' targets; pace prorates each month's
-- target by the days of the month the period has covered so far
period_facts as (

    select
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        facts.*,
        facts.target_won_amount
        * (
            date_diff(
                'day',
                greatest(facts.fact_date, periods.period_start),
                least(last_day(facts.fact_date), periods.period_end)
            ) + 1
        )
        / (date_diff('day', facts.fact_date, last_day(facts.fact_date)) + 1)
            as expected_won_amount

    from facts

    inner join periods
        on
            facts.fact_date between date_trunc('month', periods.period_start)
            and periods.period_end
            and (
                facts.target_won_amount is not null
                or facts.fact_date >= periods.period_start
            )

),

scoped as (

    select
        scopes.scope_id,
        period_facts.period_kind,
        period_facts.period_start,
        period_facts.period_end,
        period_facts.owner_id,
        sum(period_facts.won_count) as won_count,
        sum(period_facts.won_amount) as won_amount,
        sum(period_facts.lost_count) as lost_count,
        sum(period_facts.lost_amount) as lost_amount,
        median(period_facts.won_cycle_days) as median_cycle_days,
        sum(period_facts.target_won_amount) as target_won_amount,
        sum(period_facts.expected_won_amount) as expected_won_amount,
        sum(period_facts.activities_count) as activities_count,
        sum(period_facts.new_customers_count) as new_customers_count,
        count(period_facts.score) as satisfaction_responses_count,
        satisfaction_average(period_facts.score, period_facts.scale) as satisfaction_average,
        net_promoter_score(period_facts.is_promoter, period_facts.is_detractor, period_facts.scale)
            as net_promoter_score

    from period_facts

    inner join scopes
        on period_facts.owner_id = scopes.member_id

    group by grouping sets (
        (scopes.scope_id, period_facts.period_kind, period_facts.period_start,
            period_facts.period_end, period_facts.owner_id),
        (scopes.scope_id, period_facts.period_kind, period_facts.period_start,
            period_facts.period_end)
    )

),

final as (

    select
        scoped.scope_id,
        scoped.period_kind,
        scoped.period_start,
        scoped.period_end,
        scoped.owner_id,
        users.name as owner_name,
        users.team,
        scoped.won_count::bigint as won_count,
        scoped.won_amount::decimal(18, 2) as won_amount,
        scoped.lost_count::bigint as lost_count,
        scoped.lost_amount::decimal(18, 2) as lost_amount,
        win_rate(scoped.won_count, scoped.lost_count) as win_rate,
        win_rate(scoped.won_amount, scoped.lost_amount) as win_rate_amount,
        average_amount(scoped.won_amount, scoped.won_count) as avg_won_amount,
        scoped.median_cycle_days::double as median_cycle_days,
        scoped.target_won_amount::decimal(18, 2) as target_won_amount,
        attainment_rate(scoped.won_amount, scoped.target_won_amount) as attainment_rate,
        scoped.expected_won_amount::decimal(18, 2) as expected_won_amount,
        attainment_rate(
            scoped.won_amount, scoped.expected_won_amount::decimal(18, 2)
        ) as pace_rate,
        scoped.activities_count::bigint as activities_count,
        scoped.new_customers_count::bigint as new_customers_count,
        scoped.satisfaction_responses_count::bigint as satisfaction_responses_count,
        scoped.satisfaction_average,
        scoped.net_promoter_score

    from scoped

    left join users
        on scoped.owner_id = users.user_id

)

select * from final
