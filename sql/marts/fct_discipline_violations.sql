-- fct_discipline_violations: one row per rule per record per as-of date: today's violations,
-- and those of the last run that are resolved today. A violation that persists from run to
-- run keeps the date it was first seen.

with

findings as (

    select * from int_discipline_findings

),

recorded as (

    select * from stg_history__violations

),

rules as (

    select * from stg_config__rules

),

users as (

    select * from dim_users

),

last_run_dates as (

    select max(as_of_date) as as_of_date from recorded

),

last_run as (

    select recorded.*

    from recorded

    inner join last_run_dates
        on recorded.as_of_date = last_run_dates.as_of_date

),

today as (

    select
        findings.rule_id,
        findings.record_type,
        findings.record_id,
        findings.record_name,
        findings.owner_id,
        findings.team,
        findings.severity,
        findings.severity_weight,
        findings.measured_value,
        findings.threshold_value,
        findings.detail,
        coalesce(last_run.first_seen_date, getvariable('as_of_date')::date)
            as first_seen_date,
        last_run.rule_id is null as is_new,
        false as is_resolved

    from findings

    left join last_run
        on
            findings.rule_id = last_run.rule_id
            and findings.record_type = last_run.record_type
            and findings.record_id = last_run.record_id

),

resolved as (

    select
        last_run.rule_id,
        last_run.record_type,
        last_run.record_id,
        last_run.record_name,
        last_run.owner_id,
        last_run.team,
        last_run.severity,
        rules.severity_weight,
        last_run.measured_value,
        last_run.threshold_value,
        last_run.detail,
        last_run.first_seen_date,
        false as is_new,
        true as is_resolved

    from last_run

    left join findings
        on
            last_run.rule_id = findings.rule_id
            and last_run.record_type = findings.record_type
            and last_run.record_id = findings.record_id

    left join rules
        on last_run.rule_id = rules.rule_id

    where findings.rule_id is null

),

unioned as (

    select * from today
    union all
    select * from resolved

),

final as (

    select
        getvariable('as_of_date')::date as as_of_date,
        unioned.rule_id,
        unioned.record_type,
        unioned.record_id,
        unioned.record_name,
        unioned.owner_id,
        users.name as owner_name,
        unioned.team,
        unioned.severity,
        unioned.severity_weight,
        unioned.measured_value,
        unioned.threshold_value,
        unioned.detail,
        unioned.first_seen_date,
        date_diff('day', unioned.first_seen_date, getvariable('as_of_date')::date)
            as days_open,
        unioned.is_new,
        unioned.is_resolved

    from unioned

    left join users
        on unioned.owner_id = users.user_id

)

select * from final
