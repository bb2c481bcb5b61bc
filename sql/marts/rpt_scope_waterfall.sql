-- rpt_scope_waterfall: one row per report scope per waterfall window per movement: how the
-- quarter's open pipeline of the scope's owners moved. A deal that changed owner between
-- two scopes leaves the one and enters the other; within a scope it takes its own movement.

with

waterfall_movements as (

    select * from fct_waterfall_movements

),

scopes as (

    select * from int_report_scopes

),

-- the deals of each pair of owners (at the opening, now) that moved alike, added up before
-- the scopes are joined
pairs as (

    select
        window_kind,
        opening_date,
        closing_date,
        opening_owner_id,
        owner_id,
        movement,
        in_opening,
        in_closing,
        count(*) as deals_count,
        sum(opening_pipeline_amount) as opening_pipeline_amount,
        sum(closing_pipeline_amount) as closing_pipeline_amount

    from waterfall_movements

    group by 1, 2, 3, 4, 5, 6, 7, 8

),

memberships as (

    select
        scopes.scope_id,
        pairs.*,
        true as holds_opening,
        false as holds_closing

    from pairs

    inner join scopes
        on pairs.opening_owner_id = scopes.member_id

    union all

    select
        scopes.scope_id,
        pairs.*,
        false as holds_opening,
        true as holds_closing

    from pairs

    inner join scopes
        on pairs.owner_id = scopes.member_id

),

-- README "Waterfall": which ends of the deal the scope holds
held as (

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        opening_owner_id,
        owner_id,
        movement,
        in_opening,
        in_closing,
        any_value(deals_count) as deals_count,
        any_value(opening_pipeline_amount) as opening_pipeline_amount,
        any_value(closing_pipeline_amount) as closing_pipeline_amount,
        bool_or(holds_opening) as holds_opening,
        bool_or(holds_closing) as holds_closing

    from memberships

    group by 1, 2, 3, 4, 5, 6, 7, 8, 9

),

classified as (

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        deals_count,
        waterfall_side_movement(
            movement, in_opening, in_closing, holds_opening, holds_closing
        ) as movement,
        case when holds_opening and in_opening then deals_count else 0 end
            as opening_count,
        case when holds_closing and in_closing then deals_count else 0 end
            as closing_count,
        case when holds_opening then opening_pipeline_amount else 0 end
            as opening_pipeline,
        case when holds_closing then closing_pipeline_amount else 0 end
            as closing_pipeline

    from held

),

movements as (

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        movement,
        sum(deals_count) as deals_count,
        sum(closing_count - opening_count) as count_change,
        sum(closing_pipeline - opening_pipeline) as amount

    from classified

    where movement is not null

    group by 1, 2, 3, 4, 5

),

ends as (

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        sum(opening_count) as opening_count,
        sum(opening_pipeline) as opening_pipeline,
        sum(closing_count) as closing_count,
        sum(closing_pipeline) as closing_pipeline

    from classified

    where movement is not null

    group by 1, 2, 3, 4

),

rows_unioned as (

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        'opening' as movement,
        opening_count as deals_count,
        opening_count as count_change,
        opening_pipeline as amount

    from ends

    union all

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        movement,
        deals_count,
        count_change,
        amount

    from movements

    union all

    select
        scope_id,
        window_kind,
        opening_date,
        closing_date,
        'closing' as movement,
        closing_count as deals_count,
        closing_count as count_change,
        closing_pipeline as amount

    from ends

),

final as (

    select
        rows_unioned.scope_id,
        rows_unioned.window_kind,
        rows_unioned.opening_date,
        rows_unioned.closing_date,
        rows_unioned.movement,
        waterfall_movement_order(rows_unioned.movement)::bigint as movement_order,
        rows_unioned.deals_count::bigint as deals_count,
        rows_unioned.count_change::bigint as count_change,
        rows_unioned.amount::decimal(18, 2) as amount

    from rows_unioned

)

select * from final
