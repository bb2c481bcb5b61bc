-- stg_config__incentive_plans: one row per commission plan of the plan file
-- (config/incentives.yaml); none when there is no such file.

with

plans as (

    select * from raw_config__incentive_plans

),

final as (

    select
        -- ids
        plan_id,

        -- strings
        teams,
        roles,
        rounding_mode,

        -- numerics
        plan_order,
        base_fraction,
        commission_cap_amount,
        bonus_attainment,
        bonus_amount,
        deduction_cap_amount,
        rounding_places

    from plans

)

select * from final
