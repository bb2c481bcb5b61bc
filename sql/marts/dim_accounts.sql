-- dim_accounts: one row per customer account, from the accounts export or named by a deal,
-- with what it was won for in the 12 months to the as-of date and its value tier (from
-- int_account_value_tiers; C for an account that won nothing in them) and its channel.

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

tiers as (

    select * from int_account_value_tiers

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
        accounts.created_date

    from accounts

    full outer join dealt_with
        on
            accounts.source = dealt_with.source
            and accounts.account_id = dealt_with.account_id

),

final as (

    select
        -- ids
        named.account_id,
        named.source,
        named.owner_id,

        -- strings
        named.account_name,
        named.account_type,
        named.industry,
        account_channels.channel,
        coalesce(tiers.value_tier, 'C') as value_tier,

        -- numerics
        coalesce(tiers.trailing_won_count, 0) as trailing_won_count,
        coalesce(tiers.trailing_won_amount, 0)::decimal(18, 2) as trailing_won_amount,
        coalesce(tiers.trailing_won_share, 0) as trailing_won_share,

        -- dates
        named.created_date,
        tiers.first_won_date,
        tiers.last_won_date

    from named

    left join tiers
        on
            named.source = tiers.source
            and named.account_id = tiers.account_id

    left join account_channels
        on
            named.source = account_channels.source
            and named.account_id = account_channels.account_id

)

select * from final
