-- stg_config__incentive_deductions: one row per discipline rule a commission plan deducts
-- an amount for, per violation.

with

deductions as (

    select * from raw_config__incentive_deductions

),

final as (

    select
        -- ids
        plan_id,
        rule_id,

        -- numerics
        deduction_amount

    from deductions

)

select * from final
