-- assert_company_totals_agree: one row per measure of a per-scope mart whose company total
-- differs from its twin's at the finer grain, over the same deals and days: performance by
-- month (rpt_scope_performance, rpt_rep_performance_monthly), the funnel by stage and window
-- (rpt_scope_funnel, rpt_funnel_stages), lost deals by stage and window
-- (rpt_scope_loss_reasons, rpt_funnel_loss_reasons). Any row stops the run: the SQL of one
-- twin counts what the other does not.

with

periods as (

    select * from int_report_periods

),

scope_performance as (

    select * from rpt_scope_performance

    where scope_id = 'company' and owner_id is null and period_kind = 'month'

),

rep_months as (

    select * from rpt_rep_performance_monthly

),

scope_funnel as (

    select * from rpt_scope_funnel

    where scope_id = 'company'

),

team_funnel as (

    select * from rpt_funnel_stages

),

scope_losses as (

    select * from rpt_scope_loss_reasons

    where scope_id = 'company'

),

team_losses as (

    select * from rpt_funnel_loss_reasons

),

months as (

    select period_start as month from periods

    where period_kind = 'month'

),

funnel_windows as (

    select * from periods

    where period_kind in ('funnel_current', 'funnel_previous')

),

-- each side as (family, where, measure, value): the company's rows of the per-scope mart
scope_values as (

    select
        'performance' as family,
        strftime(period_start, '%Y-%m') as place,
        measure,
        value

    from (
        select
            period_start,
            won_count::decimal(38, 2) as won_count,
            won_amount::decimal(38, 2) as won_amount,
            lost_count::decimal(38, 2) as lost_count,
            lost_amount::decimal(38, 2) as lost_amount,
            activities_count::decimal(38, 2) as activities_count,
            coalesce(target_won_amount, 0)::decimal(38, 2) as target_won_amount
        from scope_performance
    ) unpivot (value for measure in (
        won_count, won_amount, lost_count, lost_amount, activities_count, target_won_amount
    ))

    union all

    select
        'funnel',
        stage || ' (' || window_kind || ')',
        measure,
        value

    from (
        -- added up by stage name, as the twin is: pipelines of several CRMs in one inbox
        -- can give one stage name two places in the order
        select
            stage,
            'funnel_current' as window_kind,
            sum(deals_reached)::decimal(38, 2) as deals_reached,
            sum(deals_lost_here)::decimal(38, 2) as deals_lost_here,
            sum(lost_amount_here)::decimal(38, 2) as lost_amount_here
        from scope_funnel
        group by 1, 2
        union all
        select
            stage,
            'funnel_previous',
            sum(previous_deals_reached)::decimal(38, 2),
            sum(previous_deals_lost_here)::decimal(38, 2),
            sum(previous_lost_amount_here)::decimal(38, 2)
        from scope_funnel
        group by 1, 2
    ) unpivot (value for measure in (deals_reached, deals_lost_here, lost_amount_here))

    union all

    select
        'loss_reasons',
        stage || ' (' || window_kind || ')',
        measure,
        value

    from (
        select
            stage,
            'funnel_current' as window_kind,
            sum(lost_count)::decimal(38, 2) as lost_count,
            sum(lost_amount)::decimal(38, 2) as lost_amount
        from scope_losses
        group by 1, 2
        union all
        select
            stage,
            'funnel_previous',
            sum(previous_lost_count)::decimal(38, 2),
            sum(previous_lost_amount)::decimal(38, 2)
        from scope_losses
        group by 1, 2
    ) unpivot (value for measure in (lost_count, lost_amount))

),

-- the twins at the finer grain, added up over the same months and cohort windows
twin_values as (

    select
        'performance' as family,
        strftime(month, '%Y-%m') as place,
        measure,
        value

    from (
        select
            rep_months.month,
            sum(rep_months.won_count)::decimal(38, 2) as won_count,
            sum(rep_months.won_amount)::decimal(38, 2) as won_amount,
            sum(rep_months.lost_count)::decimal(38, 2) as lost_count,
            sum(rep_months.lost_amount)::decimal(38, 2) as lost_amount,
            sum(rep_months.activities_count)::decimal(38, 2) as activities_count,
            coalesce(sum(rep_months.target_won_amount), 0)::decimal(38, 2)
                as target_won_amount
        from rep_months
        semi join months
            on rep_months.month = months.month
        group by 1
    ) unpivot (value for measure in (
        won_count, won_amount, lost_count, lost_amount, activities_count, target_won_amount
    ))

    union all

    select
        'funnel',
        stage || ' (' || window_kind || ')',
        measure,
        value

    from (
        select
            team_funnel.stage,
            funnel_windows.period_kind as window_kind,
            sum(team_funnel.deals_reached)::decimal(38, 2) as deals_reached,
            sum(team_funnel.deals_lost_here)::decimal(38, 2) as deals_lost_here,
            sum(team_funnel.lost_amount_here)::decimal(38, 2) as lost_amount_here
        from team_funnel
        inner join funnel_windows
            on team_funnel.cohort_month between funnel_windows.period_start
            and funnel_windows.period_end
        group by 1, 2
    ) unpivot (value for measure in (deals_reached, deals_lost_here, lost_amount_here))

    union all

    select
        'loss_reasons',
        stage || ' (' || window_kind || ')',
        measure,
        value

    from (
        select
            team_losses.stage,
            funnel_windows.period_kind as window_kind,
            sum(team_losses.lost_count)::decimal(38, 2) as lost_count,
            sum(team_losses.lost_amount)::decimal(38, 2) as lost_amount
        from team_losses
        inner join funnel_windows
            on team_losses.cohort_month between funnel_windows.period_start
            and funnel_windows.period_end
        group by 1, 2
    ) unpivot (value for measure in (lost_count, lost_amount))

),

final as (

    select
        coalesce(scope_values.family, twin_values.family) as family,
        coalesce(scope_values.place, twin_values.place) as place,
        coalesce(scope_values.measure, twin_values.measure) as measure,
        coalesce(scope_values.value, 0) as company_value,
        coalesce(twin_values.value, 0) as twin_value,
        'the company''s ' || coalesce(scope_values.measure, twin_values.measure) || ' of '
        || coalesce(scope_values.family, twin_values.family) || ' in '
        || coalesce(scope_values.place, twin_values.place) || ' is '
        || coalesce(scope_values.value, 0) || ' per scope but '
        || coalesce(twin_values.value, 0)
        || ' added up from the finer grain: the SQL of the two marts disagrees'
            as message

    from scope_values

    full outer join twin_values
        on
            scope_values.family = twin_values.family
            and scope_values.place = twin_values.place
            and scope_values.measure = twin_values.measure

    where coalesce(scope_values.value, 0) <> coalesce(twin_values.value, 0)

    order by 1, 2, 3

)

select * from final
