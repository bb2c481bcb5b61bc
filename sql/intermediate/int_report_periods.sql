-- int_report_periods: one row per period the reports show, placed by the as-of date.

with

as_of as (

    select
        getvariable('as_of_date')::date as as_of_date,
        date_trunc('month', getvariable('as_of_date'))::date as month_start,
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
        date_trunc('quarter', as_of_date)::date as period_start,
        as_of_date as period_end

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

    -- funnel windows are whole cohort months (README "Funnel")
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

)

select * from final
