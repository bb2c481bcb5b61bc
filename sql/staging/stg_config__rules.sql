-- stg_config__rules: one row per discipline rule of the rules file (config/discipline.yaml).

with

rules as (

    select * from raw_config__rules

),

final as (

    select
        -- ids
        rule_id,

        -- strings
        kind,
        record_type,
        severity,
        name_en,
        name_zh,
        description_en,
        description_zh,
        stage,
        stages,
        fields,
        completed_statuses,
        tiers,
        value_tiers,
        teams,
        regions,
        deal_types,

        -- numerics
        severity_weight,
        days,
        count,
        percentile,
        max_days,
        per_week,
        weeks,
        won_within_days,

        -- booleans
        enabled

    from rules

)

select * from final
