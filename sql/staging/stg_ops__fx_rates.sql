-- stg_ops__fx_rates: one row per currency per date: what one unit is worth in the reporting
-- currency (a later file's rate for the same day wins).

with

rates as (

    select * from raw_ops__fx_rates

),

newest_first as (

    select
        *,
        row_number() over (
            partition by upper(currency), rate_date
            order by file_id desc, record_number desc
        ) as recency_rank

    from rates

),

final as (

    select
        -- strings
        upper(currency) as currency,

        -- numerics
        rate,

        -- dates
        rate_date

    from newest_first

    where recency_rank = 1

)

select * from final
