-- int_discipline_findings: one row per rule per record that breaks it today, with the rule's
-- severity and weight.

with

rules as (

    select * from stg_config__rules

),

org as (

    select * from stg_ops__org

),

findings as (

    select * from int_discipline_stale_deals
    union all
    select * from int_discipline_overdue_close_dates
    union all
    select * from int_discipline_missing_fields
    union all
    select * from int_discipline_repeated_pushes
    union all
    select * from int_discipline_stage_skips
    union all
    select * from int_discipline_stuck_deals
    union all
    select * from int_discipline_overdue_tasks
    union all
    select * from int_discipline_unvisited_accounts
    union all
    select * from int_discipline_low_activity_reps

),

final as (

    select
        findings.rule_id,
        rules.kind,
        findings.record_type,
        findings.record_id,
        findings.record_name,
        findings.owner_id,
        org.team,
        rules.severity,
        rules.severity_weight,
        findings.measured_value,
        findings.threshold_value,
        findings.detail

    from findings

    inner join rules
        on findings.rule_id = rules.rule_id

    left join org
        on findings.owner_id = org.user_id

)

select * from final
