-- stg_crm__users: one row per CRM user, from the last file that exported them.

with

users as (

    select * from raw_crm__users

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, user_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from users

),

final as (

    select
        -- ids
        user_id,
        source,

        -- strings
        name,
        email,

        -- booleans
        is_active

    from newest_first

    where recency_rank = 1

)

select * from final
