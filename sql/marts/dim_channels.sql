-- dim_channels: one row per sales channel of the channels file, with the order and the
-- labels the reports show it by.

with

channels as (

    select * from stg_config__channels

),

final as (

    select
        channel,
        channel_order,
        label_en,
        label_zh,
        is_default

    from channels

)

select * from final
