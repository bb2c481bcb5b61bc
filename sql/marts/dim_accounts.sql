-- dim_accounts: one row per customer account, from the accounts export or named by a deal,
-- with what it was won for in the 12 months to the as-of date (trailing_) and its value tier (README
-- "Metrics": an account is A when the accounts ranked above it make less than tier_a_share
-- of that won amount, B when less than tier_b_share, C otherwise).

with

accounts as (

    select * from stg_crm__accounts

),

deals as (

    select * from int_deals_resolved

),

closed as (

    select * from int_closed_deals

),

deal_channels as (

    select * from int_deal_channels

),

dealt_with as (

    select
        source,
        account_id,
        max(account_name) as account_name

    from deals

    where account_id is not null

    group by source, account_id

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

-- an account's channel is that of its first won deal, else of its first deal (README
-- "Metrics": channel)
first_deals as (

    select
        deals.source,
        deals.account_id,
        deal_channels.channel,
        row_number() over (
            partition by deals.source, deals.account_id
            order by
                closed.deal_id is null,
                closed.close_date,
                deals.created_at nulls last,
                deals.deal_id
        ) as deal_rank

    from deals

    inner join deal_channels
        on
            deals.source = deal_channels.source
            and deals.deal_id = deal_channels.deal_id

    left join closed
        on
            deals.source = closed.source
            and deals.deal_id = closed.deal_id
            and closed.status = 'won'

    where deals.account_id is not null

),

account_channels as (

    select * from first_deals

    where deal_rank = 1

),

named as (

    select
        coalesce(accounts.source, dealt_with.source) as source,
        coalesce(accounts.account_id, dealt_with.account_id) as account_id,
        coalesce(accounts.account_name, dealt_with.account_name) as account_name,
        accounts.owner_id,
        accounts.account_type,
        accounts.industry,
        accounts.created_date,
        won.first_won_date,
        won.last_won_date,
        coalesce(won.trailing_won_count, 0) as trailing_won_count,
        coalesce(won.trailing_won_amount, 0) as trailing_won_amount,
        account_channels.channel

    from accounts

    full outer join dealt_with
        on
            accounts.source = dealt_with.source
            and accounts.account_id = dealt_with.account_id

    left join won
        on
            coalesce(accounts.source, dealt_with.source) = won.source
            and coalesce(accounts.account_id, dealt_with.account_id) = won.account_id

    left join account_channels
        on
            coalesce(accounts.source, dealt_with.source) = account_channels.source
            and coalesce(accounts.account_id, dealt_with.account_id)
            = account_channels.account_id

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

    from named

),

final as (

    select
        -- ids
        account_id,
        source,
        owner_id,

        -- strings
        account_name,
        account_type,
        industry,
        channel,
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

        -- numerics
        trailing_won_count::bigint as trailing_won_count,
        trailing_won_amount::decimal(18, 2) as trailing_won_amount,
        (trailing_won_amount / nullif(total_trailing_won_amount, 0))::double as trailing_won_share,

        -- dates
        created_date,
        first_won_date,
        last_won_date

    from ranked

)

select * from final
