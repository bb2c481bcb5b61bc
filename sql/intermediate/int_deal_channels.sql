-- int_deal_channels: one row per deal with its sales channel and the partner (agent or
-- distributor) it goes through. The channel is that of the first rule of the channels file
-- that matches the deal, else the default channel (README "Metrics": channel).

with

deals as (

    select * from stg_crm__deals

),

accounts as (

    select * from stg_crm__accounts

),

rules as (

    select * from stg_config__channel_rules

),

channels as (

    select * from stg_config__channels

),

-- a partner given only by name (Fxiaoke 合作伙伴) is the one account of that name
account_names as (

    select
        source,
        lower(trim(account_name)) as name_key,
        min(account_id) as account_id,
        count(*) as accounts_count

    from accounts

    where account_name is not null

    group by 1, 2

),

accounts_by_name as (

    select * from account_names

    where accounts_count = 1

),

partnered as (

    select
        deals.source,
        deals.deal_id,
        deals.channel as channel_value,
        deals.lead_source,
        deals.deal_type,
        coalesce(
            deals.partner_id, accounts_by_name.account_id, deals.partner_name
        ) as partner_id,
        coalesce(
            partner_accounts.account_name, named_accounts.account_name, deals.partner_name
        ) as partner_name,
        coalesce(
            partner_accounts.account_type, named_accounts.account_type
        ) as partner_type

    from deals

    left join accounts as partner_accounts
        on
            deals.source = partner_accounts.source
            and deals.partner_id = partner_accounts.account_id

    left join accounts_by_name
        on
            deals.partner_id is null
            and deals.source = accounts_by_name.source
            and lower(trim(deals.partner_name)) = accounts_by_name.name_key

    left join accounts as named_accounts
        on
            accounts_by_name.source = named_accounts.source
            and accounts_by_name.account_id = named_accounts.account_id

),

deal_values as (

    select
        source,
        deal_id,
        'channel' as match_field,
        channel_value as match_value

    from partnered

    union all

    select
        source,
        deal_id,
        'partner_type' as match_field,
        partner_type as match_value

    from partnered

    union all

    select
        source,
        deal_id,
        'lead_source' as match_field,
        lead_source as match_value

    from partnered

    union all

    select
        source,
        deal_id,
        'deal_type' as match_field,
        deal_type as match_value

    from partnered

),

-- the first rule of the file that matches wins
first_matches as (

    select
        deal_values.source,
        deal_values.deal_id,
        min(rules.rule_order) as rule_order,
        arg_min(rules.channel, rules.rule_order) as channel,
        arg_min(rules.match_field, rules.rule_order) as matched_by

    from deal_values

    inner join rules
        on
            deal_values.match_field = rules.match_field
            and lower(trim(deal_values.match_value)) = rules.match_value

    group by 1, 2

),

default_channel as (

    select channel

    from channels

    where is_default

),

final as (

    select
        partnered.source,
        partnered.deal_id,
        coalesce(first_matches.channel, default_channel.channel) as channel,
        coalesce(first_matches.matched_by, 'default') as matched_by,
        first_matches.rule_order,
        partnered.partner_id,
        partnered.partner_name,
        partnered.partner_type

    from partnered

    cross join default_channel

    left join first_matches
        on
            partnered.source = first_matches.source
            and partnered.deal_id = first_matches.deal_id

)

select * from final
