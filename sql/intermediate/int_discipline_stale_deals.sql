-- int_discipline_stale_deals: one row per stale_deal rule per open deal with no call,
-- meeting or task for at least the rule's days (counted from its creation if it never had one).

with

deals as (

    select * from int_discipline_deals

),

rules as (

    select * from stg_config__rules

    where kind = 'stale_deal' and enabled

),

final as (

    select
        rules.rule_id,
        'deal' as record_type,
        deals.deal_id as record_id,
        deals.deal_name as record_name,
        deals.owner_id,
        deals.days_since_activity::double as measured_value,
        rules.days::double as threshold_value,
        null::varchar as detail

    from deals

    inner join rules
        on
            in_rule_scope(rules.teams, rules.regions, deals.team, deals.region)
            and (coalesce(array_length(rules.deal_types), 0) = 0
                or list_contains(rules.deal_types, deals.deal_type))

    where
        deals.status = 'open'
        and deals.days_since_activity >= rules.days

)

select * from final
