-- rpt_discipline_rules: one row per rule of the rules file: whether it was checked today,
-- why not, and how many records break it.

with

rules as (

    select * from stg_config__rules

),

violations as (

    select * from fct_discipline_violations

    where not is_resolved

),

history as (

    select * from stg_crm__deal_stage_history

),

recorded as (

    select * from stg_history__deal_states

),

history_size as (

    select count(*) as rows_count from history
    union all
    select count(*) as rows_count from recorded

),

has_history as (

    select sum(rows_count) > 0 as has_history from history_size

),

counts as (

    select
        rule_id,
        count(*) as violations_count

    from violations

    group by 1

),

-- README "Discipline": repeated_push needs the history of close dates
final as (

    select
        rules.rule_id,
        rules.kind,
        rules.record_type,
        rules.severity,
        rules.name_en,
        rules.name_zh,
        rules.description_en,
        rules.description_zh,
        rules.stage,
        rules.enabled,
        case
            when not rules.enabled then 'disabled'
            when rules.kind = 'repeated_push' and not has_history.has_history
                then 'no_history'
        end as skip_reason,
        coalesce(counts.violations_count, 0) as violations_count

    from rules

    cross join has_history

    left join counts
        on rules.rule_id = counts.rule_id

)

select * from final
