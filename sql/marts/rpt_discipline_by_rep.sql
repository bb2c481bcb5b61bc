-- rpt_discipline_by_rep: one row per rep per run (today, and the runs recorded before): open
-- violations by severity, new and resolved since the last run, and the compliance score.

with

violations as (

    select * from fct_discipline_violations

),

deals as (

    select * from int_discipline_deals

),

recorded as (

    select * from stg_history__discipline

),

users as (

    select * from dim_users

),

open_deals as (

    select
        owner_id,
        count(*) as open_deals_count

    from deals

    where status = 'open'

    group by 1

),

-- README "Discipline": an open deal weighs as its most severe violation; a closed deal
-- (a stage skipped by a deal closed since) weighs nothing; any other record (a task, an
-- account, the rep) weighs as each of its violations
deal_penalties as (

    select
        violations.owner_id,
        violations.record_id,
        max(violations.severity_weight) as weight

    from violations

    semi join deals
        on
            violations.record_id = deals.deal_id
            and deals.status = 'open'

    where not violations.is_resolved and violations.record_type = 'deal'

    group by 1, 2

),

other_penalties as (

    select
        owner_id,
        severity_weight as weight

    from violations

    where not is_resolved and record_type <> 'deal'

),

penalties as (

    select owner_id, weight from deal_penalties
    union all
    select owner_id, weight from other_penalties

),

today as (

    select
        owner_id,
        count(*) filter (where not is_resolved and severity = 'info') as info_count,
        count(*) filter (where not is_resolved and severity = 'warning') as warning_count,
        count(*) filter (where not is_resolved and severity = 'critical') as critical_count,
        count(*) filter (where is_new) as new_count,
        count(*) filter (where is_resolved) as resolved_count

    from violations

    group by 1

),

penalty_totals as (

    select
        owner_id,
        sum(weight) as penalty

    from penalties

    group by 1

),

reps as (

    select owner_id from open_deals
    union
    select owner_id from today

),

current_rows as (

    select
        getvariable('as_of_date')::date as as_of_date,
        reps.owner_id,
        coalesce(open_deals.open_deals_count, 0) as open_deals_count,
        coalesce(today.info_count, 0) as info_count,
        coalesce(today.warning_count, 0) as warning_count,
        coalesce(today.critical_count, 0) as critical_count,
        coalesce(today.new_count, 0) as new_count,
        coalesce(today.resolved_count, 0) as resolved_count,
        coalesce(penalty_totals.penalty, 0) as penalty

    from reps

    left join open_deals
        on reps.owner_id = open_deals.owner_id

    left join today
        on reps.owner_id = today.owner_id

    left join penalty_totals
        on reps.owner_id = penalty_totals.owner_id

),

recorded_rows as (

    select
        as_of_date,
        owner_id,
        open_deals_count,
        info_count,
        warning_count,
        critical_count,
        null::bigint as new_count,
        null::bigint as resolved_count,
        penalty

    from recorded

),

unioned as (

    select * from current_rows
    union all
    select * from recorded_rows

),

final as (

    select
        unioned.as_of_date,
        unioned.owner_id,
        users.name as owner_name,
        users.team,
        unioned.open_deals_count::bigint as open_deals_count,
        unioned.info_count::bigint as info_count,
        unioned.warning_count::bigint as warning_count,
        unioned.critical_count::bigint as critical_count,
        (unioned.info_count + unioned.warning_count + unioned.critical_count)::bigint
            as open_violations_count,
        unioned.new_count::bigint as new_count,
        unioned.resolved_count::bigint as resolved_count,
        unioned.penalty::double as penalty,
        compliance_score(unioned.penalty, unioned.open_deals_count) as compliance_score

    from unioned

    left join users
        on unioned.owner_id = users.user_id

)

select * from final
