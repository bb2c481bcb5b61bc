-- int_satisfaction_responses: one row per survey answer, credited to a rep: the owner of the
-- deal it is about (at close, for a closed deal), else the owner of the account it is about.
-- A 0-10 score is a promoter's at 9 or 10 and a detractor's at 6 or below (README "Metrics").

with

responses as (

    select * from stg_ops__satisfaction

),

deals as (

    select * from int_deals_resolved

),

closed as (

    select * from int_closed_deals

),

accounts as (

    select * from stg_crm__accounts

),

-- a deal id that two sources share: the first source's (by name), never either at random
deal_owners as (

    select
        deals.deal_id,
        arg_min(deals.account_id, deals.source) as account_id,
        arg_min(coalesce(closed.owner_id, deals.owner_id), deals.source) as owner_id

    from deals

    left join closed
        on
            deals.source = closed.source
            and deals.deal_id = closed.deal_id

    group by deals.deal_id

),

account_owners as (

    select
        account_id,
        arg_min(owner_id, source) as owner_id

    from accounts

    group by account_id

),

final as (

    select
        responses.file_number,
        responses.record_number,
        responses.response_date,
        date_trunc('month', responses.response_date)::date as month,
        coalesce(deal_owners.owner_id, account_owners.owner_id) as owner_id,
        coalesce(responses.account_id, deal_owners.account_id) as account_id,
        responses.deal_id,
        responses.scale,
        responses.score,
        responses.scale = '0-10' and responses.score >= 9 as is_promoter,
        responses.scale = '0-10' and responses.score <= 6 as is_detractor

    from responses

    left join deal_owners
        on responses.deal_id = deal_owners.deal_id

    left join account_owners
        on coalesce(responses.account_id, deal_owners.account_id) = account_owners.account_id

)

select * from final
