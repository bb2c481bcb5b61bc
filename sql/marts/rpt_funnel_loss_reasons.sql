-- rpt_funnel_loss_reasons: one row per team per cohort month per stage where deals were lost
-- per loss reason (README "Loss reasons").

with

deals as (

    select * from fct_deals

),

final as (

    select
        team,
        date_trunc('month', created_date)::date as cohort_month,
        furthest_stage as stage,
        furthest_stage_order as stage_order,
        loss_reason_id,
        loss_reason_en,
        loss_reason_zh,
        count(*) as lost_count,
        coalesce(sum(amount), 0)::decimal(18, 2) as lost_amount

    from deals

    where
        status = 'lost'
        and created_date <= getvariable('as_of_date')

    group by 1, 2, 3, 4, 5, 6, 7

)

select * from final
