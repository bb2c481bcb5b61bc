-- stg_history__deal_states: one row per deal per earlier run that recorded it (the nightly
-- snapshots of out/history/ dated before the as-of date).

with

states as (

    select * from raw_history__deal_states

),

final as (

    select
        -- ids
        deal_id,
        owner_id,
        source,

        -- strings
        team,
        stage,
        status,
        forecast_category,
        currency,

        -- numerics
        amount,
        probability,

        -- dates
        as_of_date,
        close_date,
        created_date

    from states

    where as_of_date < getvariable('as_of_date')

)

select * from final
