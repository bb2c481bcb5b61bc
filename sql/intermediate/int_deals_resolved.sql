-- int_deals_resolved: one row per deal, its owner resolved (int_owner_keys), its amount
-- in the reporting currency and its loss label read as a loss reason.

with

deals as (

    select * from stg_crm__deals

),

owners as (

    select * from int_owner_keys

),

rates as (

    select * from stg_ops__fx_rates

),

loss_reasons as (

    select * from int_loss_reasons

),

owned as (

    select
        deals.*,
        owners.resolved_owner_id,
        coalesce(deals.currency, getvariable('reporting_currency')) as deal_currency,
        -- a closed deal is converted at its close date, an open one at the as-of date
        -- (README "Currencies")
        case
            when deals.status in ('won', 'lost') and deals.close_date is not null
                then deals.close_date
            else getvariable('as_of_date')::date
        end as conversion_date

    from deals

    inner join owners
        on
            deals.owner_id is not distinct from owners.owner_id
            and deals.owner_name is not distinct from owners.owner_name

),

converted as (

    select
        owned.*,
        case
            when owned.deal_currency = getvariable('reporting_currency') then 1
            else rates.rate
        end as fx_rate

    from owned

    asof left join rates
        on
            owned.deal_currency = rates.currency
            and owned.conversion_date >= rates.rate_date

),

reasoned as (

    select
        converted.*,
        loss_reasons.loss_reason_id,
        loss_reasons.loss_reason_en,
        loss_reasons.loss_reason_zh

    from converted

    left join loss_reasons
        on lower(trim(converted.loss_reason)) = loss_reasons.label_key

),

final as (

    select
        deal_id,
        resolved_owner_id as owner_id,
        account_id,
        source,
        deal_name,
        owner_name,
        account_name,
        deal_type,
        next_step,
        lead_source,
        loss_reason,
        loss_reason_id,
        loss_reason_en,
        loss_reason_zh,
        forecast_category,
        stage,
        status,
        (amount * fx_rate)::decimal(18, 2) as amount,
        amount as deal_amount,
        deal_currency,
        fx_rate::decimal(18, 8) as fx_rate,
        conversion_date,
        probability,
        stage_order,
        close_date,
        created_date,
        created_at,
        modified_at

    from reasoned

)

select * from final
