-- rpt_forecast: one row per report scope per owner in it, plus a total row (owner_id null),
-- for the fiscal quarter of the as-of date: won so far, the open pipeline closing in the
-- quarter by forecast category (cumulative), weighted pipeline, target and coverage.

with

deals as (

    select * from fct_deals

),

targets_by_month as (

    select * from int_targets_monthly

    where
        metric = 'won_amount'
        and holder_kind = 'rep'

),

scopes as (

    select * from int_report_scopes

),

quarters as (

    select * from int_report_periods

    where period_kind = 'forecast_quarter'

),

users as (

    select * from dim_users

),

-- won so far: closed won in the quarter up to the as-of date, to the owner at close
won as (

    select
        coalesce(deals.owner_at_close_id, deals.owner_id) as owner_id,
        sum(deals.amount) as won_amount

    from deals

    cross join quarters

    where
        deals.status = 'won'
        and deals.close_date between quarters.period_start and getvariable('as_of_date')

    group by 1

),

-- open deals expected to close in the quarter (one overdue within it still counts)
open_deals as (

    select
        deals.owner_id,
        sum(deals.amount) filter (where deals.forecast_category = 'commit') as commit_open,
        sum(deals.amount) filter (where deals.forecast_category = 'best_case')
            as best_case_open,
        sum(deals.amount) filter (where deals.forecast_category = 'pipeline')
            as pipeline_open,
        sum(deals.amount) filter (where deals.forecast_category <> 'omitted')
            as open_pipeline_amount,
        sum(deals.amount * coalesce(deals.probability, 0)) filter (
            where deals.forecast_category <> 'omitted'
        ) as weighted_pipeline_amount

    from deals

    cross join quarters

    where
        deals.status = 'open'
        and deals.close_date between quarters.period_start and quarters.period_end

    group by 1

),

-- the whole quarter's target, months still to come included
targets as (

    select
        targets_by_month.user_id as owner_id,
        sum(targets_by_month.target) as target_won_amount

    from targets_by_month

    cross join quarters

    where targets_by_month.period_month between quarters.period_start and quarters.period_end

    group by 1

),

owners as (

    select owner_id from won
    union
    select owner_id from open_deals
    union
    select owner_id from targets

),

facts as (

    select
        scopes.scope_id,
        owners.owner_id,
        sum(coalesce(won.won_amount, 0)) as won_amount,
        sum(coalesce(open_deals.commit_open, 0)) as commit_open,
        sum(coalesce(open_deals.best_case_open, 0)) as best_case_open,
        sum(coalesce(open_deals.pipeline_open, 0)) as pipeline_open,
        sum(coalesce(open_deals.open_pipeline_amount, 0)) as open_pipeline_amount,
        sum(coalesce(open_deals.weighted_pipeline_amount, 0)) as weighted_pipeline_amount,
        sum(targets.target_won_amount) as target_won_amount

    from owners

    inner join scopes
        on owners.owner_id = scopes.member_id

    left join won
        on owners.owner_id = won.owner_id

    left join open_deals
        on owners.owner_id = open_deals.owner_id

    left join targets
        on owners.owner_id = targets.owner_id

    group by grouping sets ((scopes.scope_id, owners.owner_id), (scopes.scope_id))

),

-- README "Forecast": the categories add up, each one including those before it
final as (

    select
        facts.scope_id,
        facts.owner_id,
        users.name as owner_name,
        quarters.period_start as quarter_start,
        quarters.period_end as quarter_end,
        facts.won_amount::decimal(18, 2) as won_amount,
        (facts.won_amount + facts.commit_open)::decimal(18, 2) as commit_amount,
        (facts.won_amount + facts.commit_open + facts.best_case_open)::decimal(18, 2)
            as best_case_amount,
        (facts.won_amount + facts.commit_open + facts.best_case_open + facts.pipeline_open)
            ::decimal(18, 2) as pipeline_amount,
        facts.open_pipeline_amount::decimal(18, 2) as open_pipeline_amount,
        facts.weighted_pipeline_amount::decimal(18, 2) as weighted_pipeline_amount,
        facts.target_won_amount::decimal(18, 2) as target_won_amount,
        attainment_rate(facts.won_amount, facts.target_won_amount) as attainment_rate,
        coverage_rate(
            facts.open_pipeline_amount, facts.target_won_amount, facts.won_amount
        ) as coverage_rate

    from facts

    cross join quarters

    left join users
        on facts.owner_id = users.user_id

)

select * from final
