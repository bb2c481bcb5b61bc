-- stg_crm__accounts: one row per account, from the last file that exported it.

with

accounts as (

    select * from raw_crm__accounts

),

newest_first as (

    select
        *,
        row_number() over (
            partition by source, account_id
            order by file_id desc, record_number desc
        ) as recency_rank

    from accounts

),

final as (

    select
        -- ids
        account_id,
        owner_id,
        source,

        -- strings
        account_name,
        owner_name,
        account_type,
        industry,

        -- dates
        created_at::date as created_date

    from newest_first

    where
        recency_rank = 1
        and not coalesce(is_deleted, false)

)

select * from final
