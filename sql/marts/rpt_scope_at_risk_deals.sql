-- rpt_scope_at_risk_deals: one row per report scope per at-risk deal: the ten largest open
-- deals due by the end of the fiscal quarter that break a discipline rule today.

with

deals as (

    select * from fct_deals

    where status = 'open'

),

violations as (

    select * from fct_discipline_violations

    where record_type = 'deal' and not is_resolved

),

rules as (

    select * from stg_config__rules

),

scopes as (

    select * from int_report_scopes

),

quarter as (

    select * from int_report_periods

    where period_kind = 'forecast_quarter'

),

risks as (

    select
        violations.record_id as deal_id,
        count(*) as violations_count,
        min(
            case violations.severity
                when 'critical' then 1 when 'warning' then 2 else 3
            end
        ) as severity_rank,
        string_agg(violations.rule_id, ', ' order by violations.rule_id) as rule_ids,
        string_agg(rules.name_en, ', ' order by violations.rule_id) as rule_names_en,
        string_agg(rules.name_zh, '、' order by violations.rule_id) as rule_names_zh

    from violations

    inner join rules
        on violations.rule_id = rules.rule_id

    group by 1

),

ranked as (

    select
        scopes.scope_id,
        row_number() over (
            partition by scopes.scope_id
            order by deals.amount desc nulls last, risks.severity_rank, deals.close_date,
                deals.deal_id
        ) as risk_rank,
        deals.deal_id,
        deals.deal_name,
        deals.account_name,
        deals.owner_id,
        deals.owner_name,
        deals.stage,
        deals.amount,
        deals.close_date,
        risks.violations_count,
        case risks.severity_rank
            when 1 then 'critical' when 2 then 'warning' else 'info'
        end as severity,
        risks.rule_ids,
        risks.rule_names_en,
        risks.rule_names_zh

    from deals

    inner join risks
        on deals.deal_id = risks.deal_id

    inner join scopes
        on deals.owner_id = scopes.member_id

    cross join quarter

    where deals.close_date <= quarter.period_end

),

final as (

    select * from ranked

    where risk_rank <= 10

)

select * from final
