-- stg_config__channel_rules: one row per channel rule and value it matches, in the order of
-- the channels file (config/channels.yaml); values compare in lower case, trimmed.

with

rules as (

    select * from raw_config__channel_rules

),

final as (

    select
        -- strings
        match_field,
        lower(trim(match_value)) as match_value,
        channel,

        -- numerics
        rule_order

    from rules

)

select * from final
