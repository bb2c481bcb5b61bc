-- rpt_discipline_by_scope: one row per report scope (a manager's subtree, or the company) per
-- run: its reps' violations and the compliance score of them together.

with

reps as (

    select * from rpt_discipline_by_rep

),

scopes as (

    select * from int_report_scopes

),

final as (

    select
        scopes.scope_id,
        reps.as_of_date,
        count(*) as reps_count,
        sum(reps.open_deals_count)::bigint as open_deals_count,
        sum(reps.info_count)::bigint as info_count,
        sum(reps.warning_count)::bigint as warning_count,
        sum(reps.critical_count)::bigint as critical_count,
        sum(reps.open_violations_count)::bigint as open_violations_count,
        sum(reps.new_count)::bigint as new_count,
        sum(reps.resolved_count)::bigint as resolved_count,
        sum(reps.penalty)::double as penalty,
        compliance_score(sum(reps.penalty), sum(reps.open_deals_count)) as compliance_score

    from reps

    inner join scopes
        on reps.owner_id = scopes.member_id

    group by 1, 2

)

select * from final
