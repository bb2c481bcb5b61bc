-- The fiscal calendar, from the fiscal_year_start_month setting (README "Fiscal calendar").
-- A fiscal year is named by the calendar year it ends in.

create or replace macro fiscal_month(day) as
    ((month(day) - getvariable('fiscal_year_start_month') + 12) % 12 + 1)::integer;

create or replace macro fiscal_quarter(day) as
    ((fiscal_month(day) - 1) // 3 + 1)::integer;

create or replace macro fiscal_year_start(day) as
    (date_trunc('month', day) - to_months(fiscal_month(day) - 1))::date;

create or replace macro fiscal_quarter_start(day) as
    (date_trunc('month', day) - to_months((fiscal_month(day) - 1) % 3))::date;

create or replace macro fiscal_year(day) as
    year(fiscal_year_start(day) + interval 11 month)::integer;

-- A period as the ops files give it: a month ('2026-03') or a fiscal quarter ('2026-Q1',
-- quarter 1 of the fiscal year named 2026).
create or replace macro period_start(period) as
    case
        when period like '%-Q%' then (
            make_date(
                left(period, 4)::integer
                - (getvariable('fiscal_year_start_month') > 1)::integer,
                getvariable('fiscal_year_start_month'),
                1
            )
            + to_months(3 * (right(period, 1)::integer - 1))
        )::date
        else strptime(period || '-01', '%Y-%m-%d')::date
    end;

create or replace macro period_months(period) as
    case when period like '%-Q%' then 3 else 1 end;

-- An amount given for a period, shared over its months: equal parts rounded to the cent,
-- the last month taking the remainder so that the parts add up to the whole.
create or replace macro month_share(amount, month_number, months) as
    case
        when months = 1 then amount
        when month_number < months then round(amount / months, 2)::decimal(18, 2)
        else amount - (months - 1) * round(amount / months, 2)::decimal(18, 2)
    end::decimal(18, 2);
