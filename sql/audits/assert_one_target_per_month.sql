-- assert_one_target_per_month: one row per rep or team, month and metric that targets.csv
-- gives two targets for, a month's and its quarter's; any row stops the run.

with

targets as (

    select * from stg_ops__targets

),

months as (

    select
        *,
        period_start + to_months(unnest(range(period_months))) as month

    from targets

),

final as (

    select
        holder_kind,
        holder_id,
        metric,
        month,
        'targets.csv gives ' || holder_kind || ' ' || holder_id || ' two ' || metric
        || ' targets for ' || strftime(month, '%Y-%m') || ': '
        || string_agg(period || ' (line ' || (record_number + 1) || ')', ' and '
            order by period) || '; keep one' as message

    from months

    group by holder_kind, holder_id, metric, month

    having count(*) > 1

    order by holder_kind, holder_id, metric, month

)

select * from final
