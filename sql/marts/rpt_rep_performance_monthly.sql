-- rpt_rep_performance_monthly: one row per owner per calendar month in which the owner has a
-- closed deal, an activity or a target, up to the as-of date.

with

owner_months as (

    select * from int_owner_months

),

users as (

    select * from dim_users

),

final as (

    select
        owner_months.owner_id,
        users.name as owner_name,
        users.team,
        owner_months.month,
        owner_months.won_count,
        owner_months.won_amount,
        owner_months.lost_count,
        owner_months.lost_amount,
        win_rate(owner_months.won_count, owner_months.lost_count) as win_rate,
        win_rate(owner_months.won_amount, owner_months.lost_amount) as win_rate_amount,
        average_amount(owner_months.won_amount, owner_months.won_count) as avg_won_amount,
        owner_months.target_won_amount,
        attainment_rate(
            owner_months.won_amount, owner_months.target_won_amount
        ) as attainment_rate,
        owner_months.activities_count

    from owner_months

    left join users
        on owner_months.owner_id = users.user_id

)

select * from final
