-- rpt_customer_retention: one row per scope and month, from the first month a deal was won
-- to the as-of month: the customers active at the month's end (a won deal in the 12 months
-- to it), how many are new, back, kept or lapsed since the month before (README "Metrics").

with

closed as (

    select * from int_closed_deals

),

scopes as (

    select * from int_report_scopes

),

first_wins as (

    select * from int_account_first_wins

),

won as (

    select
        closed.source,
        closed.account_id,
        closed.owner_id,
        closed.close_date,
        first_wins.deal_id is not null as is_first_win

    from closed

    left join first_wins
        on
            closed.source = first_wins.source
            and closed.deal_id = first_wins.deal_id

    where
        closed.status = 'won'
        and closed.account_id is not null

),

months as (

    select
        unnest(
            generate_series(
                date_trunc('month', min(close_date)),
                date_trunc('month', getvariable('as_of_date')),
                interval 1 month
            )
        )::date as month

    from won

),

month_ends as (

    select
        month,
        least(last_day(month), getvariable('as_of_date')) as month_end,
        (month - interval 1 day)::date as previous_month_end

    from months

),

scoped_wins as (

    select
        scopes.scope_id,
        won.source,
        won.account_id,
        won.close_date,
        won.is_first_win

    from won

    inner join scopes
        on won.owner_id = scopes.member_id

),

customer_months as (

    select
        scoped_wins.scope_id,
        month_ends.month,
        month_ends.month_end,
        scoped_wins.source,
        scoped_wins.account_id,
        bool_or(
            scoped_wins.close_date > month_ends.month_end - interval 12 month
        ) as is_active,
        bool_or(
            scoped_wins.close_date <= month_ends.previous_month_end
            and scoped_wins.close_date
            > month_ends.previous_month_end - interval 12 month
        ) as was_active,
        bool_or(
            scoped_wins.is_first_win
            and scoped_wins.close_date >= month_ends.month
        ) as is_new

    from scoped_wins

    inner join month_ends
        on scoped_wins.close_date <= month_ends.month_end

    group by all

),

final as (

    select
        scope_id,
        month,
        month_end::date as month_end_date,
        count(*) filter (where is_active) as active_customers_count,
        count(*) filter (where is_new) as new_customers_count,
        count(*) filter (where is_active and not was_active and not is_new)
            as returning_customers_count,
        count(*) filter (where is_active and was_active) as retained_customers_count,
        count(*) filter (where was_active and not is_active) as lapsed_customers_count,
        count(*) filter (where was_active) as previous_active_customers_count,
        retention_rate(
            count(*) filter (where is_active and was_active),
            count(*) filter (where was_active)
        ) as retention_rate

    from customer_months

    group by scope_id, month, month_end

)

select * from final
