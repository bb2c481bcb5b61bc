-- int_owner_aliases: one row per way a CRM record may name its owner (an id, a name, an
-- email) and the person in the org chart it means. A name two people share means no one.

with

org as (

    select * from stg_ops__org

),

named as (

    select
        user_id,
        lower(trim(name)) as name_key,
        lower(trim(email)) as email_key,
        count(*) over (partition by lower(trim(name))) as name_holders,
        count(*) over (partition by lower(trim(email))) as email_holders

    from org

),

final as (

    select
        'id' as alias_kind,
        user_id as alias,
        user_id

    from named

    union all

    select
        'name' as alias_kind,
        name_key as alias,
        user_id

    from named

    where name_holders = 1

    union all

    select
        'email' as alias_kind,
        email_key as alias,
        user_id

    from named

    where email_key is not null and email_holders = 1

)

select * from final
