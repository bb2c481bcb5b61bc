-- rpt_report_windows: one row per report scope: the dates of the windows its reports state
-- (the commission month, the waterfall's week, the funnel's two cohort windows, the
-- channels' twelve months), so that a report reads them beside its own rows.

with

scopes as (

    select distinct scope_id from int_report_scopes

),

periods as (

    select * from int_report_periods

),

windows as (

    select
        min(period_start) filter (
            where period_kind = 'month_to_date'
        ) as month_start_date,
        min(period_start) filter (
            where period_kind = 'waterfall_week'
        ) as waterfall_start_date,
        min(period_end) filter (
            where period_kind = 'waterfall_week'
        ) as waterfall_end_date,
        min(period_start) filter (
            where period_kind = 'funnel_current'
        ) as funnel_start_date,
        min(period_end) filter (
            where period_kind = 'funnel_current'
        ) as funnel_end_date,
        min(period_start) filter (
            where period_kind = 'funnel_previous'
        ) as previous_funnel_start_date,
        min(period_end) filter (
            where period_kind = 'funnel_previous'
        ) as previous_funnel_end_date,
        -- the channels' last twelve months: the trend's months (README "Channels")
        min(period_start) filter (where period_kind = 'month') as channels_start_date,
        max(period_end) filter (where period_kind = 'month') as channels_end_date

    from periods

),

final as (

    select
        scopes.scope_id,
        windows.*

    from scopes

    cross join windows

)

select * from final
