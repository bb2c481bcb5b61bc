-- stg_history__org: one row per person per earlier run that recorded the org chart (the
-- snapshots of out/history/ dated before the as-of date).

with

org as (

    select * from raw_history__org

),

final as (

    select
        -- ids
        user_id,
        manager_id,

        -- strings
        name,
        team,
        region,

        -- dates
        as_of_date

    from org

    where as_of_date < getvariable('as_of_date')

)

select * from final
