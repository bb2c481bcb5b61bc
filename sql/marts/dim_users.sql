-- dim_users: one row per person in the org chart or owning records in the CRM.

with recursive

org as (

    select * from stg_ops__org

),

deals as (

    select * from int_deals_resolved

),

crm_users as (

    select * from stg_crm__users

),

levels (user_id, management_level) as (

    select
        user_id,
        0 as management_level

    from org

    where manager_id is null

    union all

    select
        org.user_id,
        levels.management_level + 1 as management_level

    from levels

    inner join org
        on levels.user_id = org.manager_id

),

managers as (

    select distinct manager_id as user_id

    from org

    where manager_id is not null

),

deal_owners as (

    select
        owner_id as user_id,
        -- of two deals changed the same moment, the one with the greater id
        arg_max(owner_name, {'modified_at': modified_at, 'deal_id': deal_id})
            filter (where modified_at is not null) as owner_name

    from deals

    group by 1

),

-- an owner missing from the org chart keeps the name the CRM gives them: its user list's,
-- else the name on their newest deal
crm_owners as (

    select
        deal_owners.user_id,
        coalesce(crm_users.name, deal_owners.owner_name) as name

    from deal_owners

    left join crm_users
        on deal_owners.user_id = crm_users.user_id

),

final as (

    select
        org.user_id,
        org.name,
        org.email,
        org.manager_id,
        org.team,
        org.region,
        levels.management_level,
        managers.user_id is not null as is_manager,
        true as is_in_org

    from org

    left join levels
        on org.user_id = levels.user_id

    left join managers
        on org.user_id = managers.user_id

    union all

    select
        crm_owners.user_id,
        coalesce(crm_owners.name, crm_owners.user_id) as name,
        null as email,
        null as manager_id,
        null as team,
        null as region,
        null as management_level,
        false as is_manager,
        false as is_in_org

    from crm_owners

    left join org
        on crm_owners.user_id = org.user_id

    where org.user_id is null

)

select * from final
