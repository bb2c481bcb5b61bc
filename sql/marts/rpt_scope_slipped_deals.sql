-- rpt_scope_slipped_deals: one row per report scope per open deal among the ten whose close
-- date was pushed most (by times, then days).

with

deals as (

    select * from fct_deals

    where status = 'open' and push_count > 0

),

scopes as (

    select * from int_report_scopes

),

ranked as (

    select
        scopes.scope_id,
        row_number() over (
            partition by scopes.scope_id
            order by deals.push_count desc, deals.days_slipped desc, deals.deal_id
        ) as slip_rank,
        deals.deal_id,
        deals.deal_name,
        deals.owner_id,
        deals.owner_name,
        deals.stage,
        deals.amount,
        deals.first_close_date,
        deals.close_date,
        deals.push_count,
        deals.days_slipped

    from deals

    inner join scopes
        on deals.owner_id = scopes.member_id

),

final as (

    select * from ranked

    where slip_rank <= 10

)

select * from final
