-- stg_config__channels: one row per sales channel of the channels file (config/channels.yaml).

with

channels as (

    select * from raw_config__channels

),

final as (

    select
        -- ids
        channel,

        -- strings
        label_en,
        label_zh,

        -- numerics
        channel_order,

        -- booleans
        is_default

    from channels

)

select * from final
