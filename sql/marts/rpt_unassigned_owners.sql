-- rpt_unassigned_owners: one row per owner of CRM records who is not in org.csv: their
-- records count only in the company's reports until org.csv places them under a manager.

with

users as (

    select * from dim_users

    where not is_in_org

),

deals as (

    select * from fct_deals

),

activities as (

    select * from fct_activities

),

quarter as (

    select * from int_report_periods

    where period_kind = 'quarter_to_date'

),

deal_facts as (

    select
        deals.owner_id,
        count(*) as deals_count,
        count(*) filter (where deals.status = 'open') as open_deals_count,
        coalesce(sum(deals.amount) filter (where deals.status = 'open'), 0)
            as open_amount,
        coalesce(
            sum(deals.amount) filter (
                where
                    deals.status = 'won'
                    and deals.close_date between quarter.period_start and quarter.period_end
            ),
            0
        ) as quarter_won_amount,
        max(deals.modified_at)::date as last_deal_change_date

    from deals

    cross join quarter

    group by 1

),

activity_facts as (

    select
        owner_id,
        count(*) as activities_count,
        max(activity_date) as last_activity_date

    from activities

    where activity_date <= getvariable('as_of_date')

    group by 1

),

final as (

    select
        users.user_id as owner_id,
        users.name as owner_name,
        coalesce(deal_facts.deals_count, 0) as deals_count,
        coalesce(deal_facts.open_deals_count, 0) as open_deals_count,
        coalesce(deal_facts.open_amount, 0)::decimal(18, 2) as open_amount,
        coalesce(deal_facts.quarter_won_amount, 0)::decimal(18, 2) as quarter_won_amount,
        coalesce(activity_facts.activities_count, 0) as activities_count,
        greatest(deal_facts.last_deal_change_date, activity_facts.last_activity_date)
            as last_seen_date

    from users

    left join deal_facts
        on users.user_id = deal_facts.owner_id

    left join activity_facts
        on users.user_id = activity_facts.owner_id

)

select * from final
