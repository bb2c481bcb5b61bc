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

-- aggregates over survey answers: the average score of the answers on the scale the
-- scorecard uses (satisfaction_scale), and the net promoter score over the 0-10 answers, as
-- a fraction between -1 and 1
create or replace macro satisfaction_average(score, scale) as
    avg(score) filter (where scale = getvariable('satisfaction_scale'));

create or replace macro net_promoter_score(is_promoter, is_detractor, scale) as
    (count(*) filter (where is_promoter) - count(*) filter (where is_detractor))
    / nullif(count(*) filter (where scale = '0-10'), 0);

create or replace macro cost_of_sales_ratio(cost_amount, won_amount) as
    cost_amount / nullif(won_amount, 0);

create or replace macro cost_per_won_deal(cost_amount, won_count) as
    (cost_amount / nullif(won_count, 0))::decimal(18, 2);

create or replace macro return_on_cost(won_amount, cost_amount) as
    won_amount / nullif(cost_amount, 0);

create or replace macro market_share(won_amount, market_size) as
    won_amount / nullif(market_size, 0);
