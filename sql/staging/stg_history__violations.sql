-- stg_history__violations: one row per open discipline violation per earlier run that
-- recorded it (dated before the as-of date).

with

violations as (

    select * from raw_history__violations

),

final as (

    select
        -- ids
        rule_id,
        record_id,
        owner_id,

        -- strings
        record_type,
        record_name,
        team,
        severity,
        detail,

        -- numerics
        measured_value,
        threshold_value,

        -- dates
        as_of_date,
        first_seen_date

    from violations

    where as_of_date < getvariable('as_of_date')

)

select * from final
