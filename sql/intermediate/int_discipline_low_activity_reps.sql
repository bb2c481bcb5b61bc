-- int_discipline_low_activity_reps: one row per activity_volume rule per rep (an owner of
-- deals in the org chart) with fewer calls and meetings a week, over the rule's last weeks,
-- than the rule's per_week.

with

deals as (

    select * from int_discipline_deals

),

activities as (

    select * from int_activities_unioned

    where activity_type in ('call', 'meeting')

),

org as (

    select * from stg_ops__org

),

rules as (

    select * from stg_config__rules

    where kind = 'activity_volume' and enabled

),

reps as (

    select distinct
        org.user_id,
        org.name,
        org.team,
        org.region

    from org

    inner join deals
        on org.user_id = deals.owner_id

    where deals.status = 'open'

),

weekly as (

    select
        rules.rule_id,
        rules.per_week,
        reps.user_id,
        reps.name,
        count(activities.activity_id) / rules.weeks as per_week_done

    from reps

    inner join rules
        on in_rule_scope(rules.teams, rules.regions, reps.team, reps.region)

    left join activities
        on
            reps.user_id = activities.owner_id
            and activities.activity_date > getvariable('as_of_date')::date - 7 * rules.weeks
            and activities.activity_date <= getvariable('as_of_date')::date

    group by rules.rule_id, rules.per_week, rules.weeks, reps.user_id, reps.name

),

final as (

    select
        rule_id,
        'rep' as record_type,
        user_id as record_id,
        name as record_name,
        user_id as owner_id,
        round(per_week_done, 1)::double as measured_value,
        per_week::double as threshold_value,
        null::varchar as detail

    from weekly

    where per_week_done < per_week

)

select * from final
