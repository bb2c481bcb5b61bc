-- int_discipline_overdue_close_dates: one row per overdue_close_date rule per open deal
-- whose close date is more than the rule's days before the as-of date.

with

deals as (

    select * from int_discipline_deals

),

rules as (

    select * from stg_config__rules

    where kind = 'overdue_close_date' and enabled

),

overdue as (

    select
        *,
        date_diff('day', close_date, getvariable('as_of_date')::date) as days_overdue

    from deals

    where status = 'open' and close_date is not null

),

final as (

    select
        rules.rule_id,
        'deal' as record_type,
        overdue.deal_id as record_id,
        overdue.deal_name as record_name,
        overdue.owner_id,
        overdue.days_overdue::double as measured_value,
        rules.days::double as threshold_value,
        null::varchar as detail

    from overdue

    inner join rules
        on
            in_rule_scope(rules.teams, rules.regions, overdue.team, overdue.region)
            and (coalesce(array_length(rules.deal_types), 0) = 0
                or list_contains(rules.deal_types, overdue.deal_type))

    where overdue.days_overdue > rules.days

)

select * from final
