-- assert_costs_name_known_channels: one row per line of costs.csv whose channel the channels
-- file does not list; any row stops the run (its cost would count for no channel).

with

costs as (

    select * from stg_ops__costs

    where channel is not null

),

channels as (

    select * from stg_config__channels

),

files as (

    select * from raw_files

),

final as (

    select
        costs.channel,
        costs.record_number,
        files.file_name || ' line ' || (costs.record_number + 1) || ' names the channel '
        || costs.channel || ', which the channels file does not list ('
        || (select string_agg(channel, ', ' order by channel) from channels)
        || ')' as message

    from costs

    inner join files
        on costs.file_number = files.file_id

    where lower(trim(costs.channel)) not in (select channel from channels)

    order by costs.file_number, costs.record_number

)

select * from final
