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
