-- rpt_customer_churn_risk: one row per report scope × key customer slipping away (客户流失
-- 预警): an account of a churn_risk_tiers value tier with no open deal and nothing done on
-- it, no activity and no deal won, for churn_risk_days or more (README "Metrics"). Its rep
-- is the one who won its latest deal, else the account's owner.

with

accounts as (

    select * from dim_accounts

),

touches as (

    select * from int_account_touches

),

deals as (

    select * from int_deals_resolved

),

closed as (

    select * from int_closed_deals

),

scopes as (

    select * from int_report_scopes

),

users as (

    select * from dim_users

),

open_accounts as (

    select distinct account_id

    from deals

    where
        status = 'open'
        and account_id is not null

),

latest_wins as (

    select
        account_id,
        -- of two deals won the same day, the one with the greater id
        arg_max(owner_id, {'close_date': close_date, 'deal_id': deal_id}) as owner_id

    from closed

    where
        status = 'won'
        and account_id is not null

    group by account_id

),

quiet as (

    select
        accounts.account_id,
        accounts.account_name,
        coalesce(latest_wins.owner_id, accounts.owner_id) as owner_id,
        accounts.value_tier,
        accounts.trailing_won_amount,
        accounts.last_won_date,
        touches.last_activity_date,
        date_diff(
            'day',
            greatest(touches.last_activity_date, accounts.last_won_date),
            getvariable('as_of_date')::date
        ) as days_since_touch

    from accounts

    left join touches
        on accounts.account_id = touches.account_key

    left join latest_wins
        on accounts.account_id = latest_wins.account_id

    left join open_accounts
        on accounts.account_id = open_accounts.account_id

    where
        list_contains(getvariable('churn_risk_tiers'), accounts.value_tier)
        and open_accounts.account_id is null

),

final as (

    select
        scopes.scope_id,
        quiet.account_id,
        quiet.owner_id,
        quiet.account_name,
        users.name as owner_name,
        quiet.value_tier,
        quiet.trailing_won_amount,
        quiet.last_won_date,
        quiet.last_activity_date,
        quiet.days_since_touch::bigint as days_since_touch,
        getvariable('churn_risk_days')::bigint as threshold_days

    from quiet

    inner join scopes
        on quiet.owner_id = scopes.member_id

    left join users
        on quiet.owner_id = users.user_id

    where quiet.days_since_touch >= getvariable('churn_risk_days')

)

select * from final
