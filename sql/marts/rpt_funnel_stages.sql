-- rpt_funnel_stages: one row per team per cohort month (month the deals were created) per
-- open stage.

with

funnel as (

    select * from int_deal_funnel_stages

),

deals as (

    select * from fct_deals

),

stage_totals as (

    select
        deals.team,
        date_trunc('month', deals.created_date)::date as cohort_month,
        funnel.stage,
        funnel.stage_order,
        count(*) filter (where funnel.is_reached) as deals_reached,
        count(*) filter (where funnel.is_reached_next) as deals_reached_next,
        count(*) filter (where funnel.is_lost_here) as deals_lost_here,
        coalesce(
            sum(deals.amount) filter (where funnel.is_lost_here), 0
        )::decimal(18, 2) as lost_amount_here,
        median(funnel.days_in_stage) as median_days_in_stage

    from funnel

    inner join deals
        on
            funnel.source = deals.source
            and funnel.deal_id = deals.deal_id

    where deals.created_date <= getvariable('as_of_date')

    group by 1, 2, 3, 4

),

final as (

    select
        team,
        cohort_month,
        stage,
        stage_order,
        deals_reached,
        deals_lost_here,
        lost_amount_here,
        conversion_rate(deals_reached_next, deals_reached) as conversion_rate,
        median_days_in_stage

    from stage_totals

)

select * from final
