-- rpt_channel_returns: one row per report scope × period of rpt_channel_performance × sales
-- channel with costs in costs.csv: what selling through the channel cost, what it won and the
-- return on that cost (README "Metrics"); which scopes a cost counts in: int_cost_scopes.

with

costs as (

    select * from int_cost_scopes

    where channel is not null

),

performance as (

    select * from rpt_channel_performance

    where partner_id is null

),

periods as (

    select distinct
        period_kind,
        period_start,
        period_end

    from performance

),

period_costs as (

    select
        costs.scope_id,
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        costs.channel,
        sum(costs.amount) as cost_amount

    from costs

    inner join periods
        on
            costs.month between date_trunc('month', periods.period_start)
            and periods.period_end

    group by all

),

final as (

    select
        period_costs.scope_id,
        period_costs.period_kind,
        period_costs.period_start,
        period_costs.period_end,
        period_costs.channel,
        period_costs.cost_amount::decimal(18, 2) as cost_amount,
        coalesce(performance.won_amount, 0)::decimal(18, 2) as won_amount,
        coalesce(performance.won_count, 0) as won_count,
        return_on_cost(coalesce(performance.won_amount, 0), period_costs.cost_amount)
            as return_on_cost

    from period_costs

    left join performance
        on
            period_costs.scope_id = performance.scope_id
            and period_costs.period_kind = performance.period_kind
            and period_costs.period_start = performance.period_start
            and period_costs.channel = performance.channel

)

select * from final
