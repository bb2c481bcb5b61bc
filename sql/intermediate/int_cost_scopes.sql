-- int_cost_scopes: one row per cost line per month per report scope it counts in (README
-- "Metrics": a team's cost counts in every scope that holds one of the team's members in
-- org.csv; a cost for no team, in the company's only).

with

costs as (

    select * from int_costs_monthly

),

org as (

    select * from stg_ops__org

),

scopes as (

    select * from int_report_scopes

),

final as (

    select distinct
        scopes.scope_id,
        costs.file_number,
        costs.record_number,
        costs.month,
        lower(trim(costs.channel)) as channel,
        costs.category,
        costs.amount

    from costs

    inner join org
        on costs.team = org.team

    inner join scopes
        on org.user_id = scopes.member_id

    union

    select
        'company',
        file_number,
        record_number,
        month,
        lower(trim(channel)),
        category,
        amount

    from costs

)

select * from final
