-- assert_every_amount_has_a_rate: one row per currency and date a deal amount must be
-- converted at, without an exchange rate on or before it; any row stops the run.

with

deals as (

    select * from int_deals_resolved

),

final as (

    select
        deal_currency as currency,
        conversion_date,
        count(*) as deals_count,
        'no exchange rate for ' || deal_currency || ' on or before '
        || strftime(conversion_date, '%Y-%m-%d') || ' (' || count(*)
        || ' deals); add it to fx_rates.csv' as message

    from deals

    where deal_amount is not null and fx_rate is null

    group by 1, 2

    order by 2, 1

)

select * from final
