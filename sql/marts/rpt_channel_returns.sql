-- rpt_channel_returns: one row per report scope × period of rpt_channel_performance × sales
-- channel with costs in costs.csv: what selling through the channel cost, what it won and the
-- return on that cost (README "Metrics"). A channel's cost given for a team counts in every
-- scope holding one of its members; one given for no team, in the company's only.

with

costs as (

    select * from int_costs_monthly

    where channel is not null

),

performance as (

    select * from rpt_channel_performance

    where partner_id is null

),

users as (

    select * from dim_users

),

scopes as (

    select * from int_report_scopes

),

periods as (

    select distinct
        period_kind,
        period_start,
        period_end

    from performance

),

scoped_costs as (

    select distinct
        scopes.scope_id,
        costs.file_number,
        costs.record_number,
        costs.month,
        costs.channel,
        costs.amount

    from costs

    inner join users
        on costs.team = users.team

    inner join scopes
        on users.user_id = scopes.member_id

    union

    select
        'company',
        file_number,
        record_number,
        month,
        channel,
        amount

    from costs

),

period_costs as (

    select
        scoped_costs.scope_id,
        periods.period_kind,
        periods.period_start,
        periods.period_end,
        lower(trim(scoped_costs.channel)) as channel,
        sum(scoped_costs.amount) as cost_amount

    from scoped_costs

    inner join periods
        on
            scoped_costs.month between date_trunc('month', periods.period_start)
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
