-- rpt_satisfaction: one row per report scope, month and scale with survey answers, per rep
-- in the scope, plus a total row (owner_id null): answers, the average score and, on the
-- 0-10 scale, the net promoter score (README "Metrics"). Answers no rep can be credited with
-- count in the company's totals.

with

responses as (

    select * from int_satisfaction_responses

    where response_date <= getvariable('as_of_date')

),

scopes as (

    select * from int_report_scopes

),

users as (

    select * from dim_users

),

scoped as (

    select
        scopes.scope_id,
        responses.*

    from responses

    inner join scopes
        on responses.owner_id = scopes.member_id

    union all

    select
        'company' as scope_id,
        responses.*

    from responses

    where responses.owner_id is null

),

grouped as (

    select
        scope_id,
        month,
        scale,
        owner_id,
        count(*) as responses_count,
        avg(score) as satisfaction_average,
        count(*) filter (where is_promoter) as promoters_count,
        count(*) filter (where is_detractor) as detractors_count,
        net_promoter_score(is_promoter, is_detractor, scale) as net_promoter_score

    from scoped

    group by grouping sets ((scope_id, month, scale, owner_id), (scope_id, month, scale))

    -- answers credited to no rep count only in the total
    having grouping(owner_id) = 1 or owner_id is not null

),

final as (

    select
        grouped.scope_id,
        grouped.month,
        grouped.scale,
        grouped.owner_id,
        users.name as owner_name,
        users.team,
        grouped.responses_count,
        grouped.satisfaction_average,
        grouped.promoters_count,
        grouped.detractors_count,
        grouped.net_promoter_score

    from grouped

    left join users
        on grouped.owner_id = users.user_id

)

select * from final
