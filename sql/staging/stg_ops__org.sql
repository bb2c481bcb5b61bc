-- stg_ops__org: one row per person in the org chart (sales reps and their managers).

with

org as (

    select * from raw_ops__org

),

final as (

    select
        -- ids
        user_id,
        manager_id,

        -- strings
        name,
        email,
        team,
        region

    from org

)

select * from final
