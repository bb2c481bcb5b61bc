-- rpt_discipline_violations: one row per report scope per violation open today of a record
-- its reps own: what the discipline report lists, rep by rep, and its CSV holds, with each
-- one's place in those lists.

with

violations as (

    select * from fct_discipline_violations

    where not is_resolved

),

scopes as (

    select * from int_report_scopes

),

scoped as (

    select
        scopes.scope_id,
        violations.*

    from violations

    inner join scopes
        on violations.owner_id = scopes.member_id

),

-- the report's order: new ones first, then the most severe, the longest open, by record
-- name, rule and record (README "Discipline")
ranked as (

    select
        *,
        row_number() over (
            partition by scope_id
            order by
                is_new desc,
                case severity when 'critical' then 1 when 'warning' then 2 else 3 end,
                days_open desc, record_name, rule_id, record_type, record_id
        ) as list_rank,
        row_number() over (
            partition by scope_id, owner_id
            order by
                is_new desc,
                case severity when 'critical' then 1 when 'warning' then 2 else 3 end,
                days_open desc, record_name, rule_id, record_type, record_id
        ) as owner_list_rank,
        count(*) over (partition by scope_id, owner_id) as owner_open_count

    from scoped

),

-- a rep's first 15 are listed in the report; the rest only in the CSV beside it
final as (

    select
        * exclude (owner_open_count),
        owner_list_rank <= 15 as is_listed,
        greatest(owner_open_count - 15, 0) as owner_unlisted_count

    from ranked

)

select * from final
