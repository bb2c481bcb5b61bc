-- rpt_pipeline_waterfall: one row per waterfall window per team per owner per movement: how
-- the open pipeline closing in the fiscal quarter went from the window's opening day to the
-- as-of date. Each deal takes one movement, by the precedence in the README ("Waterfall");
-- opening + every movement = closing, in deals and in amount.

with

waterfall_movements as (

    select * from fct_waterfall_movements

),

-- README "Waterfall": a deal that changed owner leaves the pipeline of its owner at the
-- opening and enters its owner's now; any other deal has one owner holding both ends
sides as (

    select
        window_kind,
        opening_date,
        closing_date,
        owner_id,
        team,
        movement,
        in_opening,
        in_closing,
        opening_pipeline_amount,
        closing_pipeline_amount,
        true as holds_opening,
        true as holds_closing

    from waterfall_movements

    where opening_owner_id is not distinct from owner_id

    union all

    select
        window_kind,
        opening_date,
        closing_date,
        opening_owner_id as owner_id,
        opening_team as team,
        movement,
        in_opening,
        in_closing,
        opening_pipeline_amount,
        closing_pipeline_amount,
        true as holds_opening,
        false as holds_closing

    from waterfall_movements

    where opening_owner_id is distinct from owner_id

    union all

    select
        window_kind,
        opening_date,
        closing_date,
        owner_id,
        team,
        movement,
        in_opening,
        in_closing,
        opening_pipeline_amount,
        closing_pipeline_amount,
        false as holds_opening,
        true as holds_closing

    from waterfall_movements

    where opening_owner_id is distinct from owner_id

),

classified as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        waterfall_side_movement(
            movement, in_opening, in_closing, holds_opening, holds_closing
        ) as movement,
        case when holds_opening and in_opening then 1 else 0 end as opening_count,
        case when holds_closing and in_closing then 1 else 0 end as closing_count,
        case when holds_opening then opening_pipeline_amount else 0 end
            as opening_pipeline,
        case when holds_closing then closing_pipeline_amount else 0 end
            as closing_pipeline

    from sides

),

movements as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        movement,
        count(*) as deals_count,
        sum(closing_count - opening_count) as count_change,
        sum(closing_pipeline - opening_pipeline) as amount_change

    from classified

    where movement is not null

    group by 1, 2, 3, 4, 5, 6

),

ends as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        sum(opening_count) as opening_count,
        sum(opening_pipeline) as opening_pipeline,
        sum(closing_count) as closing_count,
        sum(closing_pipeline) as closing_pipeline

    from classified

    where movement is not null

    group by 1, 2, 3, 4, 5

),

rows_unioned as (

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        'opening' as movement,
        opening_count as deals_count,
        opening_count as count_change,
        opening_pipeline as amount

    from ends

    union all

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        movement,
        deals_count,
        count_change,
        amount_change as amount

    from movements

    union all

    select
        window_kind,
        opening_date,
        closing_date,
        team,
        owner_id,
        'closing' as movement,
        closing_count as deals_count,
        closing_count as count_change,
        closing_pipeline as amount

    from ends

),

final as (

    select
        rows_unioned.window_kind,
        rows_unioned.opening_date,
        rows_unioned.closing_date,
        rows_unioned.team,
        rows_unioned.owner_id,
        rows_unioned.movement,
        waterfall_movement_order(rows_unioned.movement)::bigint as movement_order,
        rows_unioned.deals_count::bigint as deals_count,
        rows_unioned.count_change::bigint as count_change,
        rows_unioned.amount::decimal(18, 2) as amount

    from rows_unioned

)

select * from final
