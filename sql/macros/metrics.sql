-- The rate metrics, each defined once in words in the README ("Metrics") and once here.
-- A rate is a fraction; it is null when its denominator is zero.

create or replace macro win_rate(won, lost) as won / nullif(won + lost, 0);

create or replace macro attainment_rate(won_amount, target_amount) as
    won_amount / nullif(target_amount, 0);

create or replace macro average_amount(amount, deal_count) as
    (amount / nullif(deal_count, 0))::decimal(18, 2);

create or replace macro conversion_rate(reached_next, reached) as
    reached_next / nullif(reached, 0);

create or replace macro coverage_rate(open_pipeline, target_amount, won_amount) as
    case
        when target_amount - won_amount > 0 then open_pipeline / (target_amount - won_amount)
    end;

create or replace macro slip_rate(pushed_deals, open_deals) as
    pushed_deals / nullif(open_deals, 0);

create or replace macro retention_rate(retained, previously_active) as
    retained / nullif(previously_active, 0);
