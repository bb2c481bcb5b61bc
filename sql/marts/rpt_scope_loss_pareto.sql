-- rpt_scope_loss_pareto: one row per report scope per loss reason of the deals created in the
-- current window of cohort months, largest lost amount first, with its cumulative share.

with

reasons as (

    select * from rpt_scope_loss_reasons

),

by_reason as (

    select
        scope_id,
        loss_reason_id,
        loss_reason_en,
        loss_reason_zh,
        sum(lost_count) as lost_count,
        sum(lost_amount) as lost_amount

    from reasons

    group by 1, 2, 3, 4

    having sum(lost_count) > 0

),

ranked as (

    select
        *,
        row_number() over (
            partition by scope_id
            order by lost_amount desc, lost_count desc, loss_reason_id nulls last
        ) as pareto_rank,
        sum(lost_amount) over (partition by scope_id) as scope_lost_amount

    from by_reason

),

final as (

    select
        scope_id,
        pareto_rank,
        loss_reason_id,
        loss_reason_en,
        loss_reason_zh,
        lost_count::bigint as lost_count,
        lost_amount::decimal(18, 2) as lost_amount,
        lost_amount / nullif(scope_lost_amount, 0) as amount_share,
        sum(lost_amount) over (
            partition by scope_id
            order by pareto_rank
            rows between unbounded preceding and current row
        ) / nullif(scope_lost_amount, 0) as cumulative_share

    from ranked

)

select * from final
