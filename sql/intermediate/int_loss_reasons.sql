-- int_loss_reasons: one row per loss label the deals give (case and surrounding spaces
-- aside), with the reason it means and that reason's names in both languages.

with

deals as (

    select * from stg_crm__deals

    where loss_reason is not null

),

mapping as (

    select * from stg_config__loss_reasons

),

labels as (

    select
        lower(trim(loss_reason)) as label_key,
        -- one spelling of a label the mapping does not know names it in the reports
        min(trim(loss_reason)) as label,
        count(*) as deals_count

    from deals

    group by 1

),

final as (

    -- a label the loss-reason file does not know is a reason of its own, its id the label
    -- in lower case after 'label:' (README "Loss reasons")
    select
        labels.label_key,
        labels.label,
        coalesce(mapping.loss_reason_id, 'label:' || labels.label_key) as loss_reason_id,
        coalesce(mapping.loss_reason_en, labels.label) as loss_reason_en,
        coalesce(mapping.loss_reason_zh, labels.label) as loss_reason_zh,
        mapping.loss_reason_id is not null as is_mapped,
        labels.deals_count

    from labels

    left join mapping
        on labels.label_key = mapping.label_key

)

select * from final
