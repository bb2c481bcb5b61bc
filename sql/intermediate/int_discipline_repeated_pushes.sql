-- int_discipline_repeated_pushes: one row per repeated_push rule per open deal whose close
-- date was pushed at least the rule's count times (README "Metrics": push).

with

deals as (

    select * from int_discipline_deals

),

rules as (

    select * from stg_config__rules

    where kind = 'repeated_push' and enabled

),

final as (

    select
        rules.rule_id,
        'deal' as record_type,
        deals.deal_id as record_id,
        deals.deal_name as record_name,
        deals.owner_id,
        deals.push_count::double as measured_value,
        rules.count::double as threshold_value,
        null::varchar as detail

    from deals

    inner join rules
        on
            in_rule_scope(rules.teams, rules.regions, deals.team, deals.region)
            and (coalesce(array_length(rules.deal_types), 0) = 0
                or list_contains(rules.deal_types, deals.deal_type))

    where
        deals.status = 'open'
        and deals.push_count >= rules.count

)

select * from final
