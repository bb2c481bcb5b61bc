-- int_discipline_stage_skips: one row per stage_skipping rule per deal, open or closed in
-- the rule's last days, that got past one of the rule's required stages without entering it.

with

deals as (

    select * from int_discipline_deals

),

furthest as (

    select * from int_deal_furthest_stages

),

visits as (

    select * from int_deal_stage_visits

),

rules as (

    select * from stg_config__rules

    where kind = 'stage_skipping' and enabled

),

stages as (

    select * from int_pipeline_stages

),

required as (

    select
        rules.rule_id,
        rules.teams,
        rules.regions,
        rules.deal_types,
        rules.days,
        stages.source,
        stages.stage,
        stages.stage_order

    from rules

    inner join stages
        on list_contains(rules.stages, stages.stage)

),

entered as (

    select distinct
        source,
        deal_id,
        stage

    from visits

),

skips as (

    select
        required.rule_id,
        deals.deal_id,
        deals.deal_name,
        deals.owner_id,
        list(required.stage order by required.stage_order) as skipped

    from deals

    inner join furthest
        on
            deals.source = furthest.source
            and deals.deal_id = furthest.deal_id

    inner join required
        on
            deals.source = required.source
            and furthest.furthest_stage_order > required.stage_order
            and in_rule_scope(required.teams, required.regions, deals.team, deals.region)
            and (coalesce(array_length(required.deal_types), 0) = 0
                or list_contains(required.deal_types, deals.deal_type))

    left join entered
        on
            deals.source = entered.source
            and deals.deal_id = entered.deal_id
            and required.stage = entered.stage

    where
        entered.deal_id is null
        -- closed in the rule's last days: those that end with the as-of date (README
        -- "Discipline")
        and (
            deals.status = 'open'
            or (
                deals.close_date > getvariable('as_of_date')::date - required.days
                and deals.close_date <= getvariable('as_of_date')::date
            )
        )

    group by 1, 2, 3, 4

),

final as (

    select
        rule_id,
        'deal' as record_type,
        deal_id as record_id,
        deal_name as record_name,
        owner_id,
        array_length(skipped)::double as measured_value,
        0::double as threshold_value,
        array_to_string(skipped, ', ') as detail

    from skips

)

select * from final
