-- rpt_target_attainment: one row per report scope per target holder (a rep, or a team) per
-- metric with a target, for the month and the quarter to date: the target, what was done and
-- the attainment (README "Targets"). A team is in every scope that holds one of its members;
-- its figures are its members' (teams as org.csv gives them).

with

targets as (

    select * from int_targets_monthly

),

periods as (

    select * from int_report_periods

    where period_kind in ('month_to_date', 'quarter_to_date')

),

performance as (

    select * from rpt_scope_performance

    where
        scope_id = 'company'
        and owner_id is not null

),

responses as (

    select * from int_satisfaction_responses

),

scopes as (

    select * from int_report_scopes

),

users as (

    select * from dim_users

),

-- a period's target: its months' targets added up; for satisfaction, an average score,
-- their average
period_targets as (

    select
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        targets.holder_kind,
        targets.holder_id,
        targets.metric,
        case
            when targets.metric = 'satisfaction' then avg(targets.target)
            else sum(targets.target)
        end as target

    from targets

    inner join periods
        on
            targets.period_month between date_trunc('month', periods.period_start)
            and periods.period_end

    group by 1, 2, 3, 4, 5, 6

),

holders as (

    select
        user_id as member_id,
        'rep' as holder_kind,
        user_id as holder_id

    from users

    union

    select
        user_id,
        'team',
        team

    from users

    where team is not null

),

counted as (

    select
        holders.holder_kind,
        holders.holder_id,
        performance.period_kind,
        sum(performance.won_amount)::double as won_amount,
        sum(performance.won_count)::double as won_count,
        sum(performance.new_customers_count)::double as new_customers,
        sum(performance.activities_count)::double as activities

    from performance

    inner join holders
        on performance.owner_id = holders.member_id

    group by all

),

scored as (

    select
        holders.holder_kind,
        holders.holder_id,
        periods.period_kind,
        satisfaction_average(responses.score, responses.scale) as satisfaction

    from responses

    inner join holders
        on responses.owner_id = holders.member_id

    inner join periods
        on responses.response_date between periods.period_start and periods.period_end

    group by all

),

holder_actuals as (

    select
        coalesce(counted.holder_kind, scored.holder_kind) as holder_kind,
        coalesce(counted.holder_id, scored.holder_id) as holder_id,
        coalesce(counted.period_kind, scored.period_kind) as period_kind,
        counted.won_amount,
        counted.won_count,
        counted.new_customers,
        counted.activities,
        scored.satisfaction

    from counted

    full join scored
        on
            counted.holder_kind = scored.holder_kind
            and counted.holder_id = scored.holder_id
            and counted.period_kind = scored.period_kind

),

actuals as (

    select * from holder_actuals

    unpivot (
        actual for metric in (
            won_amount, won_count, new_customers, activities, satisfaction
        )
    )

),

in_scope as (

    select distinct
        scopes.scope_id,
        holders.holder_kind,
        holders.holder_id

    from holders

    inner join scopes
        on holders.member_id = scopes.member_id

    union

    -- a target for someone or a team the org chart and the CRM do not know: the company's
    select distinct
        'company',
        holder_kind,
        holder_id

    from targets

),

final as (

    select
        in_scope.scope_id,
        period_targets.period_kind,
        period_targets.period_start,
        period_targets.period_end,
        period_targets.holder_kind,
        period_targets.holder_id,
        coalesce(users.name, period_targets.holder_id) as holder_name,
        period_targets.metric,
        period_targets.target::double as target,
        case
            when period_targets.metric = 'satisfaction' then actuals.actual
            else coalesce(actuals.actual, 0)
        end as actual,
        attainment_rate(
            case
                when period_targets.metric = 'satisfaction' then actuals.actual
                else coalesce(actuals.actual, 0)
            end,
            period_targets.target::double
        ) as attainment_rate

    from period_targets

    inner join in_scope
        on
            period_targets.holder_kind = in_scope.holder_kind
            and period_targets.holder_id = in_scope.holder_id

    left join actuals
        on
            period_targets.holder_kind = actuals.holder_kind
            and period_targets.holder_id = actuals.holder_id
            and period_targets.period_kind = actuals.period_kind
            and period_targets.metric = actuals.metric

    left join users
        on
            period_targets.holder_kind = 'rep'
            and period_targets.holder_id = users.user_id

)

select * from final
