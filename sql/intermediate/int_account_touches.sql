-- int_account_touches: one row per account (by id, else by name) that an activity was about,
-- directly or through one of its deals: the latest such activity on or before the as-of date.

with

activities as (

    select * from int_activities_unioned

),

deals as (

    select * from int_deals_resolved

),

accounts as (

    select * from stg_crm__accounts

),

-- what an activity may be about: the account itself, or one of its deals
account_links as (

    select
        account_id as related_id,
        account_id as account_key

    from accounts

    union

    select
        coalesce(account_id, account_name) as related_id,
        coalesce(account_id, account_name) as account_key

    from deals

    where coalesce(account_id, account_name) is not null

    union

    select
        deal_id as related_id,
        coalesce(account_id, account_name) as account_key

    from deals

    where coalesce(account_id, account_name) is not null

),

final as (

    select
        account_links.account_key,
        max(activities.activity_date) as last_activity_date

    from activities

    inner join account_links
        on activities.related_id = account_links.related_id

    where activities.activity_date <= getvariable('as_of_date')

    group by account_links.account_key

)

select * from final
