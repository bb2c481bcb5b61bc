-- int_report_periods: one row per period the reports show, placed by the as-of date. The
-- waterfall windows compare the pipeline at the end of period_start with its end.

with

as_of as (

    select
        getvariable('as_of_date')::date as as_of_date,
        date_trunc('month', getvariable('as_of_date'))::date as month_start,
        fiscal_quarter_start(getvariable('as_of_date')::date) as quarter_start,
        getvariable('funnel_window_months')::integer as window_months

),

trend_months as (

    select unnest(
        generate_series(
            as_of.month_start - interval 11 month,
            as_of.month_start::timestamp,
            interval 1 month
        )
    )::date as month_start

    from as_of

),

final as (

    select
        'month_to_date' as period_kind,
        month_start as period_start,
        as_of_date as period_end

    from as_of

    union all

    select
        'quarter_to_date' as period_kind,
        quarter_start as period_start,
        as_of_date as period_end

    from as_of

    union all

    -- the same stretch of the same fiscal quarter a year earlier
    select
        'previous_year_quarter_to_date' as period_kind,
        (quarter_start - interval 1 year)::date as period_start,
        (as_of_date - interval 1 year)::date as period_end

    from as_of

    union all

    -- the whole fiscal quarter: the forecast, and the pipeline the waterfall follows
    select
        'forecast_quarter' as period_kind,
        quarter_start as period_start,
        (quarter_start + interval 3 month - interval 1 day)::date as period_end

    from as_of

    union all

    select
        'month' as period_kind,
        trend_months.month_start as period_start,
        least(
            (trend_months.month_start + interval 1 month - interval 1 day)::date,
            as_of.as_of_date
        ) as period_end

    from trend_months

    cross join as_of

    union all

    -- funnel windows are whole cohort months (README "Metrics")
    select
        'funnel_current' as period_kind,
        (month_start - to_months(window_months - 1))::date as period_start,
        as_of_date as period_end

    from as_of

    union all

    select
        'funnel_previous' as period_kind,
        (month_start - to_months(2 * window_months - 1))::date as period_start,
        (month_start - to_months(window_months - 1) - interval 1 day)::date as period_end

    from as_of

    union all

    -- waterfall windows: from the state at the end of period_start to the as-of date
    select
        'waterfall_day' as period_kind,
        (as_of_date - interval 1 day)::date as period_start,
        as_of_date as period_end

    from as_of

    union all

    select
        'waterfall_week' as period_kind,
        (as_of_date - interval 7 day)::date as period_start,
        as_of_date as period_end

    from as_of

    union all

    select
        'waterfall_month' as period_kind,
        (month_start - interval 1 day)::date as period_start,
        as_of_date as period_end

    from as_of

    union all

    select
        'waterfall_quarter' as period_kind,
        (quarter_start - interval 1 day)::date as period_start,
        as_of_date as period_end

    from as_of

)

select * from final
