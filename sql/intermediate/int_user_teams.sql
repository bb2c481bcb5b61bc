-- int_user_teams: one row per person per stretch of days they were in one team, from the org
-- charts earlier runs recorded and today's (a person who changed team counts in the team
-- of the period).

with

recorded as (

    select * from stg_history__org

),

org as (

    select * from stg_ops__org

),

versions as (

    select
        user_id,
        as_of_date as valid_from,
        team

    from recorded

    union all

    select
        user_id,
        getvariable('as_of_date')::date as valid_from,
        team

    from org

),

changes as (

    select
        *,
        lag(team) over (partition by user_id order by valid_from) as previous_team,
        row_number() over (partition by user_id order by valid_from) as version_number

    from versions

),

final as (

    select
        user_id,
        team,
        valid_from,
        lead(valid_from) over (partition by user_id order by valid_from) as valid_to,
        version_number = 1 as is_first

    from changes

    where version_number = 1 or team is distinct from previous_team

)

select * from final
