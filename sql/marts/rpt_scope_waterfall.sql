-- rpt_scope_waterfall: one row per report scope per waterfall window per movement: the
-- waterfall of the owners in the scope, added up.

with

waterfall as (

    select * from rpt_pipeline_waterfall

),

scopes as (

    select * from int_report_scopes

),

final as (

    select
        scopes.scope_id,
        waterfall.window_kind,
        waterfall.opening_date,
        waterfall.closing_date,
        waterfall.movement,
        waterfall.movement_order,
        sum(waterfall.deals_count)::bigint as deals_count,
        sum(waterfall.count_change)::bigint as count_change,
        sum(waterfall.amount)::decimal(18, 2) as amount

    from waterfall

    inner join scopes
        on waterfall.owner_id = scopes.member_id

    group by 1, 2, 3, 4, 5, 6

)

select * from final
