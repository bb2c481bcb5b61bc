-- int_discipline_unvisited_accounts: one row per key_account_follow_up rule (客户回访) per
-- key account (with a deal won in the rule's won_within_days, of one of the rule's value
-- tiers, or of one of its account types, `tiers`) without an activity on it, or on any of
-- its deals, for at least the rule's days.

with

deals as (

    select * from int_deals_resolved

),

accounts as (

    select * from stg_crm__accounts

),

owners as (

    select * from int_owner_keys

),

org as (

    select * from stg_ops__org

),

touches as (

    select * from int_account_touches

),

value_tiers as (

    select * from int_account_value_tiers

),

rules as (

    select * from stg_config__rules

    where kind = 'key_account_follow_up' and enabled

),

-- accounts are named by id, else by name; closing_order: by close date, then by id, so
-- that of two deals won the same day one is the latest
account_deals as (

    select
        deal_id,
        {'close_date': close_date, 'deal_id': deal_id} as closing_order,
        coalesce(account_id, account_name) as account_key,
        account_name,
        owner_id,
        status,
        close_date,
        created_date

    from deals

    where coalesce(account_id, account_name) is not null

),

account_records as (

    select
        accounts.account_id as account_key,
        accounts.account_name,
        accounts.account_type,
        accounts.created_date,
        owners.resolved_owner_id as owner_id

    from accounts

    left join owners
        on
            accounts.owner_id is not distinct from owners.owner_id
            and accounts.owner_name is not distinct from owners.owner_name

),

won_accounts as (

    select
        rules.rule_id,
        account_deals.account_key,
        arg_max(account_deals.account_name, account_deals.closing_order)
            as account_name,
        arg_max(account_deals.owner_id, account_deals.closing_order) as owner_id

    from account_deals

    -- the last won_within_days days end with the as-of date (README "Discipline")
    inner join rules
        on
            account_deals.close_date
            > getvariable('as_of_date')::date - rules.won_within_days
            and account_deals.close_date <= getvariable('as_of_date')::date

    where account_deals.status = 'won'

    group by 1, 2

),

tier_accounts as (

    select
        rules.rule_id,
        account_records.account_key,
        account_records.account_name,
        account_records.owner_id

    from account_records

    inner join rules
        on list_contains(rules.tiers, account_records.account_type)

),

-- ABC value tiers (README "Metrics"), the same as the reports' churn risk
value_tier_accounts as (

    select
        rules.rule_id,
        account_deals.account_key,
        arg_max(account_deals.account_name, account_deals.closing_order)
            as account_name,
        arg_max(account_deals.owner_id, account_deals.closing_order) as owner_id

    from account_deals

    inner join value_tiers
        on account_deals.account_key = value_tiers.account_id

    inner join rules
        on list_contains(rules.value_tiers, value_tiers.value_tier)

    where account_deals.status = 'won'

    group by 1, 2

),

-- an account of a tier that also won keeps the owner of its latest win
key_accounts as (

    select
        rule_id,
        account_key,
        arg_min(account_name, precedence) as account_name,
        arg_min(owner_id, precedence) as owner_id

    from (
        select *, 1 as precedence from won_accounts
        union all
        select *, 2 as precedence from value_tier_accounts
        union all
        select *, 3 as precedence from tier_accounts
    )

    group by 1, 2

),

first_deals as (

    select
        account_key,
        min(created_date) as first_deal_date

    from account_deals

    group by 1

),

created as (

    select
        account_key,
        min(created_date) as created_date

    from account_records

    group by 1

),

-- never touched: counted from the account's creation, else from its first deal's
measured as (

    select
        key_accounts.*,
        rules.days,
        rules.teams,
        rules.regions,
        date_diff(
            'day',
            coalesce(
                touches.last_activity_date, created.created_date, first_deals.first_deal_date
            ),
            getvariable('as_of_date')::date
        ) as days_since_activity,
        org.team,
        org.region

    from key_accounts

    inner join rules
        on key_accounts.rule_id = rules.rule_id

    left join touches
        on key_accounts.account_key = touches.account_key

    left join created
        on key_accounts.account_key = created.account_key

    left join first_deals
        on key_accounts.account_key = first_deals.account_key

    left join org
        on key_accounts.owner_id = org.user_id

),

final as (

    select
        rule_id,
        'account' as record_type,
        account_key as record_id,
        account_name as record_name,
        owner_id,
        days_since_activity::double as measured_value,
        days::double as threshold_value,
        null::varchar as detail

    from measured

    where
        coalesce(days_since_activity >= days, true)
        and in_rule_scope(teams, regions, team, region)

)

select * from final
