-- rpt_rep_slippage: one row per owner of open deals: how many of them had their close date
-- pushed, how often and how far.

with

deals as (

    select * from fct_deals

    where status = 'open'

),

final as (

    select
        owner_id,
        min(owner_name) as owner_name,
        min(team) as team,
        count(*) as open_deals_count,
        count(*) filter (where push_count > 0) as pushed_deals_count,
        sum(push_count)::bigint as push_count,
        sum(days_slipped)::bigint as days_slipped,
        slip_rate(count(*) filter (where push_count > 0), count(*)) as slip_rate

    from deals

    group by 1

)

select * from final
