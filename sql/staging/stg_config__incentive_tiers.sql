-- stg_config__incentive_tiers: one row per attainment tier of a commission plan.

with

tiers as (

    select * from raw_config__incentive_tiers

),

final as (

    select
        -- ids
        plan_id,

        -- numerics
        tier_number,
        from_attainment,
        to_attainment,
        multiplier

    from tiers

)

select * from final
