-- rpt_incentive_statements: one row per report scope per rep of it on a commission plan, for
-- the as-of month, plus a total row per scope (owner_id null) whenever a plan file is
-- given: the team's commission statement as the performance report shows it.

with

statements as (

    select * from rpt_rep_incentives

    where month = date_trunc('month', getvariable('as_of_date')::date)::date

),

plans as (

    select * from stg_config__incentive_plans

),

scopes as (

    select distinct scope_id from int_report_scopes

),

members as (

    select * from int_report_scopes

),

reps as (

    select
        members.scope_id,
        statements.month,
        statements.owner_id,
        statements.owner_name,
        statements.plan_id,
        statements.won_amount,
        statements.target_won_amount,
        statements.attainment_rate,
        statements.base_commission,
        statements.accelerator_commission,
        statements.cap_adjustment,
        statements.quarterly_bonus,
        statements.violations_count,
        statements.deductions,
        statements.unrounded_total,
        statements.rounding_places,
        statements.rounding_mode,
        statements.payout_amount

    from statements

    inner join members
        on statements.owner_id = members.member_id

),

-- the total row sums each column of the reps' rows, the rounded payouts included
-- (README "Incentives")
totals as (

    select
        scopes.scope_id,
        date_trunc('month', getvariable('as_of_date')::date)::date as month,
        null::varchar as owner_id,
        null::varchar as owner_name,
        null::varchar as plan_id,
        coalesce(sum(reps.won_amount), 0)::decimal(18, 2) as won_amount,
        sum(reps.target_won_amount)::decimal(18, 2) as target_won_amount,
        null::double as attainment_rate,
        coalesce(sum(reps.base_commission), 0) as base_commission,
        coalesce(sum(reps.accelerator_commission), 0) as accelerator_commission,
        coalesce(sum(reps.cap_adjustment), 0) as cap_adjustment,
        coalesce(sum(reps.quarterly_bonus), 0) as quarterly_bonus,
        coalesce(sum(reps.violations_count), 0)::bigint as violations_count,
        coalesce(sum(reps.deductions), 0) as deductions,
        coalesce(sum(reps.unrounded_total), 0) as unrounded_total,
        null::integer as rounding_places,
        null::varchar as rounding_mode,
        coalesce(sum(reps.payout_amount), 0)::decimal(18, 2) as payout_amount

    from scopes

    left join reps
        on scopes.scope_id = reps.scope_id

    where exists (select 1 from plans)

    group by 1

),

final as (

    select * from reps
    union all
    select * from totals

)

select * from final
