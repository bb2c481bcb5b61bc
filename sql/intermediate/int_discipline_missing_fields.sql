-- int_discipline_missing_fields: one row per missing_fields rule per open deal at or past
-- the rule's stage that lacks one of the rule's fields (amount, close date, next step).

with

deals as (

    select * from int_discipline_deals

),

rules as (

    select * from stg_config__rules

    where kind = 'missing_fields' and enabled

),

stages as (

    select * from int_pipeline_stages

),

checked as (

    select
        rules.rule_id,
        deals.*,
        list_filter(
            [
                case when deals.amount is null then 'amount' end,
                case when deals.close_date is null then 'close_date' end,
                case when nullif(trim(deals.next_step), '') is null then 'next_step' end
            ],
            lambda field: field is not null and list_contains(rules.fields, field)
        ) as missing

    from deals

    inner join rules
        on
            in_rule_scope(rules.teams, rules.regions, deals.team, deals.region)
            and (coalesce(array_length(rules.deal_types), 0) = 0
                or list_contains(rules.deal_types, deals.deal_type))

    inner join stages
        on
            deals.source = stages.source
            and rules.stage = stages.stage

    where
        deals.status = 'open'
        and deals.stage_order >= stages.stage_order

),

final as (

    select
        rule_id,
        'deal' as record_type,
        deal_id as record_id,
        deal_name as record_name,
        owner_id,
        array_length(missing)::double as measured_value,
        0::double as threshold_value,
        array_to_string(missing, ', ') as detail

    from checked

    where array_length(missing) > 0

)

select * from final
