-- int_report_scopes: one row per report scope per person whose records it covers.
-- A manager's scope is their whole subtree of the org chart, themselves included;
-- the company scope covers every owner, in the org chart or not.

with recursive

org as (

    select * from stg_ops__org

),

deals as (

    select * from int_deals_resolved

),

activities as (

    select * from int_activities_unioned

),

targets as (

    select * from int_targets_monthly

    where holder_kind = 'rep'

),

owner_months as (

    select * from int_owner_months

),

reports_to (scope_id, member_id) as (

    select
        user_id as scope_id,
        user_id as member_id

    from org

    union all

    select
        org.manager_id as scope_id,
        reports_to.member_id

    from reports_to

    inner join org
        on reports_to.scope_id = org.user_id

    where org.manager_id is not null

),

managers as (

    select distinct manager_id as user_id

    from org

    where manager_id is not null

),

manager_scopes as (

    select
        reports_to.scope_id,
        'manager' as scope_kind,
        reports_to.member_id

    from reports_to

    inner join managers
        on reports_to.scope_id = managers.user_id

),

everyone as (

    select user_id as member_id from org
    union
    select owner_id as member_id from deals
    union
    select owner_id as member_id from activities
    union
    select user_id as member_id from targets
    union
    select owner_id as member_id from owner_months

),

company_scope as (

    select
        'company' as scope_id,
        'company' as scope_kind,
        member_id

    from everyone

),

final as (

    select * from manager_scopes
    union all
    select * from company_scope

)

select * from final
