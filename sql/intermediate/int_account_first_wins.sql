-- int_account_first_wins: one row per customer account, for the deal that first won it:
-- the new customer is credited to the rep who owned that deal when it closed.

with

closed as (

    select * from int_closed_deals

),

ranked as (

    select
        source,
        account_id,
        deal_id,
        owner_id,
        close_date,
        row_number() over (
            partition by source, account_id
            order by close_date, deal_id
        ) as win_number

    from closed

    where
        status = 'won'
        and account_id is not null

),

final as (

    select
        source,
        account_id,
        deal_id,
        owner_id,
        close_date

    from ranked

    where win_number = 1

)

select * from final
