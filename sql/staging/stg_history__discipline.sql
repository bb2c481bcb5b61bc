-- stg_history__discipline: one row per rep per earlier run: what their compliance score was
-- made of (dated before the as-of date).

with

discipline as (

    select * from raw_history__discipline

),

final as (

    select
        -- ids
        owner_id,

        -- numerics
        open_deals_count,
        info_count,
        warning_count,
        critical_count,
        penalty,

        -- dates
        as_of_date

    from discipline

    where as_of_date < getvariable('as_of_date')

)

select * from final
