-- rpt_rep_incentives: one row per rep on a commission plan per calendar month, from the
-- rep's first month with a closed deal, an activity, a target or a violation to the as-of
-- month: each part of the plan's pay, exact, and the payout rounded once (README
-- "Incentives"). No rows without a plan file; a rep no plan applies to has none.

with

plans as (

    select * from stg_config__incentive_plans

),

tiers as (

    select * from stg_config__incentive_tiers

),

deduction_rules as (

    select * from stg_config__incentive_deductions

),

performance as (

    select * from rpt_rep_performance_monthly

),

users as (

    select * from dim_users

),

targets as (

    select * from int_targets_monthly

    where holder_kind = 'rep'

),

recorded_violations as (

    select * from stg_history__violations

),

today_violations as (

    select * from fct_discipline_violations

),

sightings as (

    select
        rule_id,
        record_type,
        record_id,
        owner_id,
        first_seen_date,
        as_of_date

    from recorded_violations

    union all

    select
        rule_id,
        record_type,
        record_id,
        owner_id,
        first_seen_date,
        as_of_date

    from today_violations

    where not is_resolved

),

-- a violation (rule × record × first seen date) counts once, in the month it was first
-- seen, against the rep who owned it then (README "Incentives")
violations as (

    select
        rule_id,
        record_type,
        record_id,
        first_seen_date,
        date_trunc('month', first_seen_date)::date as first_seen_month,
        arg_min(owner_id, as_of_date) as owner_id

    from sightings

    group by 1, 2, 3, 4

),

owner_months as (

    select
        owner_id,
        month

    from performance

    union all

    select
        owner_id,
        first_seen_month as month

    from violations

),

first_months as (

    select
        owner_id,
        min(month) as first_month

    from owner_months

    group by 1

),

rep_months as (

    select
        first_months.owner_id,
        unnest(
            generate_series(
                first_months.first_month,
                date_trunc('month', getvariable('as_of_date'))::date,
                interval 1 month
            )
        )::date as month

    from first_months

    inner join users
        on first_months.owner_id = users.user_id

    where users.is_in_org

),

-- the team of the month (rpt_rep_performance_monthly), else today's; a manager is anyone
-- with reports (README "Incentives")
rep_facts as (

    select
        rep_months.owner_id,
        rep_months.month,
        users.name as owner_name,
        coalesce(performance.team, users.team) as team,
        case when users.is_manager then 'manager' else 'rep' end as role,
        coalesce(performance.won_amount, 0)::decimal(18, 2) as won_amount

    from rep_months

    inner join users
        on rep_months.owner_id = users.user_id

    left join performance
        on
            rep_months.owner_id = performance.owner_id
            and rep_months.month = performance.month

),

-- the first plan of the file whose teams and roles include the rep's
plan_matches as (

    select
        rep_facts.*,
        plans.plan_id,
        row_number() over (
            partition by rep_facts.owner_id, rep_facts.month
            order by plans.plan_order
        ) as match_number

    from rep_facts

    inner join plans
        on
            (plans.teams is null or list_contains(plans.teams, rep_facts.team))
            and (plans.roles is null or list_contains(plans.roles, rep_facts.role))

),

monthly_targets as (

    select
        user_id as owner_id,
        period_month as month,
        sum(target)::decimal(18, 2) as target_won_amount

    from targets

    where
        metric = 'won_amount'
        and user_id is not null

    group by 1, 2

),

quarter_targets as (

    select
        owner_id,
        fiscal_year(month) as fiscal_year,
        fiscal_quarter(month) as fiscal_quarter,
        sum(target_won_amount) as quarter_target_won_amount

    from monthly_targets

    group by 1, 2, 3

),

rep_plan_months as (

    select
        plan_matches.owner_id,
        plan_matches.owner_name,
        plan_matches.team,
        plan_matches.role,
        plan_matches.plan_id,
        plan_matches.month,
        fiscal_year(plan_matches.month) as fiscal_year,
        fiscal_quarter(plan_matches.month) as fiscal_quarter,
        fiscal_month(plan_matches.month) % 3 = 0 as is_quarter_end,
        plan_matches.won_amount,
        monthly_targets.target_won_amount,
        sum(plan_matches.won_amount) over (
            partition by
                plan_matches.owner_id,
                fiscal_year(plan_matches.month),
                fiscal_quarter(plan_matches.month)
            order by plan_matches.month
        ) as quarter_won_amount

    from plan_matches

    left join monthly_targets
        on
            plan_matches.owner_id = monthly_targets.owner_id
            and plan_matches.month = monthly_targets.month

    where plan_matches.match_number = 1

),

-- marginal tiers: the part of the won amount between from × target and to × target is paid
-- at base rate × multiplier; no target, no tiers (README "Incentives")
tier_parts as (

    select
        rep_plan_months.owner_id,
        rep_plan_months.month,
        sum(
            greatest(
                least(
                    rep_plan_months.won_amount,
                    coalesce(
                        tiers.to_attainment * rep_plan_months.target_won_amount,
                        rep_plan_months.won_amount
                    )
                )
                - tiers.from_attainment * rep_plan_months.target_won_amount,
                0
            )
            * plans.base_fraction
            * (tiers.multiplier - 1)
        ) as accelerator_commission

    from rep_plan_months

    inner join plans
        on rep_plan_months.plan_id = plans.plan_id

    inner join tiers
        on rep_plan_months.plan_id = tiers.plan_id

    where rep_plan_months.target_won_amount > 0

    group by 1, 2

),

violation_counts as (

    select
        owner_id,
        first_seen_month as month,
        rule_id,
        count(*) as violations_count

    from violations

    group by 1, 2, 3

),

rep_deductions as (

    select
        rep_plan_months.owner_id,
        rep_plan_months.month,
        sum(violation_counts.violations_count)::bigint as violations_count,
        sum(
            violation_counts.violations_count * deduction_rules.deduction_amount
        ) as deductions_before_cap

    from rep_plan_months

    inner join deduction_rules
        on rep_plan_months.plan_id = deduction_rules.plan_id

    inner join violation_counts
        on
            rep_plan_months.owner_id = violation_counts.owner_id
            and rep_plan_months.month = violation_counts.month
            and deduction_rules.rule_id = violation_counts.rule_id

    group by 1, 2

),

parts as (

    select
        rep_plan_months.*,
        plans.rounding_places,
        plans.rounding_mode,
        quarter_targets.quarter_target_won_amount,
        coalesce(rep_deductions.violations_count, 0) as violations_count,
        (rep_plan_months.won_amount * plans.base_fraction)::decimal(38, 16)
            as base_commission,
        coalesce(tier_parts.accelerator_commission, 0)::decimal(38, 16)
            as accelerator_commission,
        plans.commission_cap_amount,
        case
            when
                rep_plan_months.is_quarter_end
                and quarter_targets.quarter_target_won_amount > 0
                and rep_plan_months.quarter_won_amount
                >= plans.bonus_attainment * quarter_targets.quarter_target_won_amount
                then plans.bonus_amount
            else 0
        end::decimal(38, 16) as quarterly_bonus,
        least(
            coalesce(rep_deductions.deductions_before_cap, 0),
            coalesce(
                plans.deduction_cap_amount, rep_deductions.deductions_before_cap, 0
            )
        )::decimal(38, 16) as deductions

    from rep_plan_months

    inner join plans
        on rep_plan_months.plan_id = plans.plan_id

    left join tier_parts
        on
            rep_plan_months.owner_id = tier_parts.owner_id
            and rep_plan_months.month = tier_parts.month

    left join quarter_targets
        on
            rep_plan_months.owner_id = quarter_targets.owner_id
            and rep_plan_months.fiscal_year = quarter_targets.fiscal_year
            and rep_plan_months.fiscal_quarter = quarter_targets.fiscal_quarter

    left join rep_deductions
        on
            rep_plan_months.owner_id = rep_deductions.owner_id
            and rep_plan_months.month = rep_deductions.month

),

-- the commission (base + accelerator) is cut to the plan's monthly cap
capped as (

    select
        *,
        (
            -greatest(
                base_commission + accelerator_commission
                - coalesce(commission_cap_amount, base_commission + accelerator_commission),
                0
            )
        )::decimal(38, 16) as cap_adjustment

    from parts

),

totals as (

    select
        *,
        greatest(
            base_commission + accelerator_commission + cap_adjustment + quarterly_bonus
            - deductions,
            0
        )::decimal(38, 16) as unrounded_total

    from capped

),

-- rounded once, at the end, by the file's rounding rule (README "Incentives")
final as (

    select
        owner_id,
        owner_name,
        team,
        role,
        plan_id,
        month,
        fiscal_year,
        fiscal_quarter,
        is_quarter_end,
        won_amount,
        target_won_amount,
        attainment_rate(won_amount, target_won_amount) as attainment_rate,
        base_commission,
        accelerator_commission,
        cap_adjustment,
        quarter_won_amount::decimal(18, 2) as quarter_won_amount,
        quarter_target_won_amount::decimal(18, 2) as quarter_target_won_amount,
        attainment_rate(quarter_won_amount, quarter_target_won_amount)
            as quarter_attainment_rate,
        quarterly_bonus,
        violations_count,
        deductions,
        unrounded_total,
        rounding_places,
        rounding_mode,
        -- each branch cast on its own: a case of decimals of different scales takes
        -- the smallest scale
        case
            when rounding_mode = 'half_even' and rounding_places = 0
                then round_even(unrounded_total, 0)::decimal(18, 2)
            when rounding_mode = 'half_even' and rounding_places = 1
                then round_even(unrounded_total, 1)::decimal(18, 2)
            when rounding_mode = 'half_even'
                then round_even(unrounded_total, 2)::decimal(18, 2)
            when rounding_places = 0
                then round(unrounded_total, 0)::decimal(18, 2)
            when rounding_places = 1
                then round(unrounded_total, 1)::decimal(18, 2)
            else round(unrounded_total, 2)::decimal(18, 2)
        end as payout_amount

    from totals

)

select * from final
