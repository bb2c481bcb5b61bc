-- int_account_value_tiers: one row per account with a won deal: what it was won for in the 12
-- months to the as-of date (trailing_) and its value tier (README "Metrics": an account is A
-- when the accounts ranked above it make less than tier_a_share of that won amount, B when
-- less than tier_b_share, C otherwise). Read by dim_accounts and the key-account rule.

with

closed as (

    select * from int_closed_deals

),

won as (

    select
        source,
        account_id,
        min(close_date) as first_won_date,
        max(close_date) as last_won_date,
        count(*) filter (
            where close_date > getvariable('as_of_date') - interval 12 month
        ) as trailing_won_count,
        coalesce(
            sum(amount) filter (
                where close_date > getvariable('as_of_date') - interval 12 month
            ),
            0
        ) as trailing_won_amount

    from closed

    where
        status = 'won'
        and account_id is not null

    group by source, account_id

),

ranked as (

    select
        *,
        coalesce(
            sum(trailing_won_amount) over (
                order by trailing_won_amount desc, source, account_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as amount_ranked_above,
        sum(trailing_won_amount) over () as total_trailing_won_amount

    from won

),

final as (

    select
        source,
        account_id,
        case
            when trailing_won_amount = 0 then 'C'
            when
                amount_ranked_above
                < getvariable('tier_a_share') * total_trailing_won_amount
                then 'A'
            when
                amount_ranked_above
                < getvariable('tier_b_share') * total_trailing_won_amount
                then 'B'
            else 'C'
        end as value_tier,
        trailing_won_count::bigint as trailing_won_count,
        trailing_won_amount::decimal(18, 2) as trailing_won_amount,
        (trailing_won_amount / nullif(total_trailing_won_amount, 0))::double as trailing_won_share,
        first_won_date,
        last_won_date

    from ranked

)

select * from final
