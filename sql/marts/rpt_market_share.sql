-- rpt_market_share: one row per report scope per region and period of market.csv that has
-- begun by the as-of date: the market's size, what the scope won in the region (deals
-- credited to reps of that region in org.csv) and the share (README "Metrics").

with

market as (

    select * from stg_ops__market

    where period_start <= getvariable('as_of_date')

),

closed as (

    select * from int_closed_deals

    where status = 'won'

),

users as (

    select * from dim_users

),

scopes as (

    select * from int_report_scopes

),

scope_regions as (

    select distinct
        scopes.scope_id,
        users.region

    from scopes

    inner join users
        on scopes.member_id = users.user_id

    where users.region is not null

    union

    select
        'company',
        region

    from market

),

won as (

    select
        scopes.scope_id,
        market.region,
        market.period,
        sum(closed.amount) as won_amount,
        count(*) as won_count

    from market

    inner join users
        on market.region = users.region

    inner join closed
        on
            users.user_id = closed.owner_id
            and closed.close_date between market.period_start and market.period_end

    inner join scopes
        on closed.owner_id = scopes.member_id

    group by all

),

final as (

    select
        scope_regions.scope_id,
        market.region,
        market.period,
        market.period_start,
        market.period_end,
        market.market_size,
        coalesce(won.won_amount, 0)::decimal(18, 2) as won_amount,
        coalesce(won.won_count, 0) as won_count,
        market_share(coalesce(won.won_amount, 0), market.market_size) as market_share

    from market

    inner join scope_regions
        on market.region = scope_regions.region

    left join won
        on
            scope_regions.scope_id = won.scope_id
            and market.region = won.region
            and market.period = won.period

)

select * from final
