-- int_owner_keys: one row per owner as CRM records give it (an id, a name, or both), with the
-- person it means: the org chart's user with that id, else the only one with that name or
-- email, else the CRM's own id (or the name, when the CRM gives no id).

with

deals as (

    select * from stg_crm__deals

),

calls as (

    select * from stg_crm__calls

),

meetings as (

    select * from stg_crm__meetings

),

tasks as (

    select * from stg_crm__tasks

),

follow_ups as (

    select * from stg_crm__activities

),

accounts as (

    select * from stg_crm__accounts

),

aliases as (

    select * from int_owner_aliases

),

given as (

    select owner_id, owner_name from deals
    union
    select owner_id, owner_name from calls
    union
    select owner_id, owner_name from meetings
    union
    select owner_id, owner_name from tasks
    union
    select owner_id, owner_name from follow_ups
    union
    select owner_id, owner_name from accounts

),

-- README "Owners"
final as (

    select
        given.owner_id,
        given.owner_name,
        coalesce(
            by_id.user_id, by_name.user_id, by_email.user_id, given.owner_id, given.owner_name
        ) as resolved_owner_id

    from given

    left join aliases as by_id
        on
            by_id.alias_kind = 'id'
            and given.owner_id = by_id.alias

    left join aliases as by_name
        on
            by_name.alias_kind = 'name'
            and given.owner_id is null
            and lower(trim(given.owner_name)) = by_name.alias

    left join aliases as by_email
        on
            by_email.alias_kind = 'email'
            and given.owner_id is null
            and lower(trim(given.owner_name)) = by_email.alias

)

select * from final
