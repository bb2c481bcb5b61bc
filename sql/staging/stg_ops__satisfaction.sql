-- stg_ops__satisfaction: one row per survey answer in satisfaction.csv, about an account or
-- a deal, with the scale its score is on.

with

responses as (

    select * from raw_ops__satisfaction

),

final as (

    select
        -- ids
        file_id as file_number,
        record_number,
        account_id,
        deal_id,

        -- strings
        scale,
        comment,

        -- numerics
        score::double as score,
        try_cast(split_part(scale, '-', 1) as integer) as scale_low,
        try_cast(split_part(scale, '-', 2) as integer) as scale_high,

        -- dates
        response_date

    from responses

)

select * from final
