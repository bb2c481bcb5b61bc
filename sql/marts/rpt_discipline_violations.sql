-- rpt_discipline_violations: one row per report scope per violation open today of a record
-- its reps own: what the discipline report lists, rep by rep, and its CSV holds.

with

violations as (

    select * from fct_discipline_violations

    where not is_resolved

),

scopes as (

    select * from int_report_scopes

),

final as (

    select
        scopes.scope_id,
        violations.*

    from violations

    inner join scopes
        on violations.owner_id = scopes.member_id

)

select * from final
