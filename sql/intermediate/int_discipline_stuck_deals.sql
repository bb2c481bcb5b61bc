-- int_discipline_stuck_deals: one row per stuck_in_stage rule per open deal that has been in
-- its stage longer than its team's usual stay there (the rule's percentile of the stays that
-- ended) or the rule's max_days, whichever is lower. Stays count whole days, as the open
-- deal's does (int_discipline_deals); the percentile is not rounded (README "Discipline").

with

deals as (

    select * from int_discipline_deals

),

visits as (

    select * from int_deal_stage_visits

),

rules as (

    select * from stg_config__rules

    where kind = 'stuck_in_stage' and enabled

),

ended_stays as (

    select
        deals.team,
        visits.source,
        visits.stage,
        floor(epoch(visits.left_at - visits.entered_at) / 86400) as days

    from visits

    inner join deals
        on
            visits.source = deals.source
            and visits.deal_id = deals.deal_id

    where visits.left_at is not null

),

stays_by_team as (

    select
        rules.rule_id,
        rules.percentile,
        ended_stays.team,
        ended_stays.source,
        ended_stays.stage,
        list_sort(list(ended_stays.days)) as sorted_days

    from ended_stays

    cross join rules

    where rules.percentile is not null

    group by 1, 2, 3, 4, 5

),

usual_stays as (

    select
        rule_id,
        team,
        source,
        stage,
        percentile_of(sorted_days, percentile) as usual_days

    from stays_by_team

),

limits as (

    select
        rules.rule_id,
        rules.teams,
        rules.regions,
        rules.deal_types,
        deals.deal_id,
        deals.deal_name,
        deals.owner_id,
        deals.stage,
        deals.days_in_stage,
        deals.team,
        deals.region,
        deals.deal_type,
        least(usual_stays.usual_days, rules.max_days) as limit_days

    from deals

    cross join rules

    left join usual_stays
        on
            rules.rule_id = usual_stays.rule_id
            and deals.team is not distinct from usual_stays.team
            and deals.source = usual_stays.source
            and deals.stage = usual_stays.stage

    where deals.status = 'open'

),

final as (

    select
        rule_id,
        'deal' as record_type,
        deal_id as record_id,
        deal_name as record_name,
        owner_id,
        days_in_stage::double as measured_value,
        limit_days::double as threshold_value,
        stage as detail

    from limits

    where
        days_in_stage > limit_days
        and in_rule_scope(teams, regions, team, region)
        and (coalesce(array_length(deal_types), 0) = 0 or list_contains(deal_types, deal_type))

)

select * from final
