-- int_deal_stage_visits: one row per deal per stay in a stage, in the order they happened.

with

deals as (

    select * from int_deals_resolved

),

history as (

    select * from stg_crm__deal_stage_history

),

stages as (

    select * from int_pipeline_stages

),

ordered_moves as (

    select
        history.*,
        row_number() over (
            partition by history.source, history.deal_id
            order by history.moved_at, history.history_id
        ) as move_number,
        count(*) over (partition by history.source, history.deal_id) as move_count

    from history

    inner join deals
        on
            history.source = deals.source
            and history.deal_id = deals.deal_id

),

-- a deal enters its first stage at its Created Time: the stage its first move left (or,
-- where the CRM records only the stage entered, the first one recorded), or the stage it is
-- in now when it has no history (README "Stage history")
creations as (

    select
        deals.source,
        deals.deal_id,
        coalesce(ordered_moves.from_stage, ordered_moves.to_stage, deals.stage) as stage,
        deals.created_at as entered_at,
        0 as entry_number

    from deals

    left join ordered_moves
        on
            deals.source = ordered_moves.source
            and deals.deal_id = ordered_moves.deal_id
            and ordered_moves.move_number = 1

),

moves as (

    select
        source,
        deal_id,
        to_stage as stage,
        moved_at as entered_at,
        move_number as entry_number

    from ordered_moves

),

-- the Deals export is newer than the history when they disagree on the current stage:
-- the deal entered its current stage by its Modified Time
catch_ups as (

    select
        deals.source,
        deals.deal_id,
        deals.stage,
        greatest(deals.modified_at, ordered_moves.moved_at) as entered_at,
        ordered_moves.move_count + 1 as entry_number

    from deals

    inner join ordered_moves
        on
            deals.source = ordered_moves.source
            and deals.deal_id = ordered_moves.deal_id
            and ordered_moves.move_number = ordered_moves.move_count

    where ordered_moves.to_stage <> deals.stage

),

entries as (

    select * from creations
    union all
    select * from moves
    union all
    select * from catch_ups

),

-- a history row that keeps the stage (an amount or date change) starts no new stay
stage_changes as (

    select
        *,
        lag(stage) over (
            partition by source, deal_id order by entry_number
        ) as previous_stage

    from entries

),

stays as (

    select * from stage_changes

    where previous_stage is null or previous_stage <> stage

),

ordered as (

    select
        stays.*,
        stages.stage_order,
        lag(stages.stage_order) over (
            partition by stays.source, stays.deal_id order by stays.entry_number
        ) as previous_stage_order

    from stays

    inner join stages
        on
            stays.source = stages.source
            and stays.stage = stages.stage

),

final as (

    select
        source,
        deal_id,
        stage,
        row_number() over (
            partition by source, deal_id order by entry_number
        ) as visit_number,
        entered_at,
        lead(entered_at) over (
            partition by source, deal_id order by entry_number
        ) as left_at,
        -- a step back: entered from a stage further along the pipeline
        coalesce(stage_order < previous_stage_order, false) as is_regression

    from ordered

)

select * from final
