-- rpt_cost_of_sales: one row per report scope per month with costs, to the as-of date: what
-- selling cost, what was won, the cost-of-sales ratio and the cost per won deal (README
-- "Metrics"); which scopes a cost counts in: int_cost_scopes.

with

costs as (

    select * from int_cost_scopes

    where month <= getvariable('as_of_date')

),

closed as (

    select * from int_closed_deals

    where status = 'won'

),

scopes as (

    select * from int_report_scopes

),

scope_costs as (

    select
        scope_id,
        month,
        sum(amount) as cost_amount

    from costs

    group by all

),

scope_won as (

    select
        scopes.scope_id,
        date_trunc('month', closed.close_date)::date as month,
        sum(closed.amount) as won_amount,
        count(*) as won_count

    from closed

    inner join scopes
        on closed.owner_id = scopes.member_id

    group by all

),

final as (

    select
        scope_costs.scope_id,
        scope_costs.month,
        scope_costs.cost_amount::decimal(18, 2) as cost_amount,
        coalesce(scope_won.won_amount, 0)::decimal(18, 2) as won_amount,
        coalesce(scope_won.won_count, 0) as won_count,
        cost_of_sales_ratio(scope_costs.cost_amount, scope_won.won_amount)
            as cost_of_sales_ratio,
        cost_per_won_deal(scope_costs.cost_amount, scope_won.won_count) as cost_per_won_deal

    from scope_costs

    left join scope_won
        on
            scope_costs.scope_id = scope_won.scope_id
            and scope_costs.month = scope_won.month

)

select * from final
