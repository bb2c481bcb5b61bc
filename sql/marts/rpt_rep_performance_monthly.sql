-- rpt_rep_performance_monthly: one row per owner per calendar month in which the owner has a
-- closed deal, an activity or a target, up to the as-of date.

with

owner_months as (

    select * from int_owner_months

),

users as (

    select * from dim_users

),

teams as (

    select * from int_user_teams

),

month_ends as (

    select
        *,
        least(
            (month + interval 1 month - interval 1 day)::date,
            getvariable('as_of_date')::date
        ) as month_end

    from owner_months

),

-- a rep who changed team counts in the team they were in at the month's end
-- (README "Hierarchy")
team_then as (

    select
        month_ends.owner_id,
        month_ends.month,
        teams.team

    from month_ends

    asof left join teams
        on
            month_ends.owner_id = teams.user_id
            and month_ends.month_end >= teams.valid_from

),

first_teams as (

    select * from teams

    where is_first

),

final as (

    select
        month_ends.owner_id,
        users.name as owner_name,
        case
            when team_then.owner_id is not null and team_then.team is not null
                then team_then.team
            else coalesce(first_teams.team, users.team)
        end as team,
        month_ends.month,
        fiscal_year(month_ends.month) as fiscal_year,
        fiscal_quarter(month_ends.month) as fiscal_quarter,
        fiscal_month(month_ends.month) as fiscal_month_number,
        month_ends.won_count,
        month_ends.won_amount,
        month_ends.lost_count,
        month_ends.lost_amount,
        win_rate(month_ends.won_count, month_ends.lost_count) as win_rate,
        win_rate(month_ends.won_amount, month_ends.lost_amount) as win_rate_amount,
        average_amount(month_ends.won_amount, month_ends.won_count) as avg_won_amount,
        month_ends.target_won_amount,
        attainment_rate(
            month_ends.won_amount, month_ends.target_won_amount
        ) as attainment_rate,
        month_ends.activities_count

    from month_ends

    left join team_then
        on
            month_ends.owner_id = team_then.owner_id
            and month_ends.month = team_then.month

    left join first_teams
        on month_ends.owner_id = first_teams.user_id

    left join users
        on month_ends.owner_id = users.user_id

)

select * from final
