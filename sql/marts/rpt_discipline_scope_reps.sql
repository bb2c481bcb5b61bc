-- rpt_discipline_scope_reps: one row per report scope per rep of today's run in it: the
-- rep's open deals, violations by severity, new and resolved, and compliance score.

with

reps as (

    select * from rpt_discipline_by_rep

    where as_of_date = getvariable('as_of_date')::date

),

scopes as (

    select * from int_report_scopes

),

final as (

    select
        scopes.scope_id,
        reps.*

    from reps

    inner join scopes
        on reps.owner_id = scopes.member_id

)

select * from final
