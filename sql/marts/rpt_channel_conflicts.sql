-- rpt_channel_conflicts: one row per report scope × account with open deals through two or
-- more sales channels at the as-of date (渠道冲突, README "Metrics": channel conflict). An
-- account shows in every scope that owns one of those deals, with all of them (channels,
-- deals, partners, amount); only the scope's own reps are named.

with

deals as (

    select * from int_deals_resolved

),

deal_channels as (

    select * from int_deal_channels

),

channels as (

    select * from stg_config__channels

),

accounts as (

    select * from dim_accounts

),

users as (

    select * from dim_users

),

scopes as (

    select * from int_report_scopes

),

open_deals as (

    select
        deals.source,
        deals.account_id,
        deals.deal_id,
        deals.owner_id,
        coalesce(users.name, deals.owner_name, deals.owner_id) as owner_name,
        deals.account_name,
        coalesce(deals.amount, 0) as amount,
        deal_channels.channel,
        channels.channel_order,
        deal_channels.partner_name

    from deals

    inner join deal_channels
        on
            deals.source = deal_channels.source
            and deals.deal_id = deal_channels.deal_id

    inner join channels
        on deal_channels.channel = channels.channel

    left join users
        on deals.owner_id = users.user_id

    where
        deals.status = 'open'
        and deals.account_id is not null
        and coalesce(deals.created_date, getvariable('as_of_date'))
        <= getvariable('as_of_date')

),

account_channels as (

    select
        source,
        account_id,
        channel,
        min(channel_order) as channel_order

    from open_deals

    group by 1, 2, 3

),

conflicted as (

    select
        source,
        account_id,
        count(*) as channel_count,
        string_agg(channel, ', ' order by channel_order) as channels

    from account_channels

    group by 1, 2

),

conflicts as (

    select * from conflicted

    where channel_count >= 2

),

account_deals as (

    select
        open_deals.source,
        open_deals.account_id,
        max(open_deals.account_name) as account_name,
        count(*) as open_deals_count,
        sum(open_deals.amount) as open_amount,
        string_agg(distinct open_deals.partner_name, ', ' order by open_deals.partner_name)
            as partner_names

    from open_deals

    inner join conflicts
        on
            open_deals.source = conflicts.source
            and open_deals.account_id = conflicts.account_id

    group by 1, 2

),

scoped as (

    select
        scopes.scope_id,
        open_deals.source,
        open_deals.account_id,
        count(*) as scope_open_deals_count,
        string_agg(distinct open_deals.owner_name, ', ' order by open_deals.owner_name)
            as owner_names

    from open_deals

    inner join conflicts
        on
            open_deals.source = conflicts.source
            and open_deals.account_id = conflicts.account_id

    inner join scopes
        on open_deals.owner_id = scopes.member_id

    group by 1, 2, 3

),

final as (

    select
        scoped.scope_id,
        scoped.source,
        scoped.account_id,
        coalesce(accounts.account_name, account_deals.account_name) as account_name,
        conflicts.channels,
        scoped.owner_names,
        account_deals.partner_names,
        conflicts.channel_count,
        account_deals.open_deals_count,
        scoped.scope_open_deals_count,
        account_deals.open_amount::decimal(18, 2) as open_amount

    from scoped

    inner join conflicts
        on
            scoped.source = conflicts.source
            and scoped.account_id = conflicts.account_id

    inner join account_deals
        on
            scoped.source = account_deals.source
            and scoped.account_id = account_deals.account_id

    left join accounts
        on
            scoped.source = accounts.source
            and scoped.account_id = accounts.account_id

)

select * from final
