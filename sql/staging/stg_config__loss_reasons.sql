-- stg_config__loss_reasons: one row per CRM loss label of the loss-reason file, with the
-- reason it means.

with

labels as (

    select * from raw_config__loss_reasons

),

final as (

    select
        -- ids
        loss_reason_id,

        -- strings
        label,
        -- labels match case and surrounding spaces aside (README "Loss reasons")
        lower(trim(label)) as label_key,
        name_en as loss_reason_en,
        name_zh as loss_reason_zh,

        -- numerics
        reason_order

    from labels

)

select * from final
