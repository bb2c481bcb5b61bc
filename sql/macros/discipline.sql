-- Discipline: a rule's scope and the compliance score, defined in words in the README
-- ("Discipline").

-- empty or null lists mean "all"
create or replace macro in_rule_scope(rule_teams, rule_regions, team, region) as
    (coalesce(array_length(rule_teams), 0) = 0 or list_contains(rule_teams, team))
    and (coalesce(array_length(rule_regions), 0) = 0 or list_contains(rule_regions, region));

create or replace macro compliance_score(penalty, open_deals) as
    round(100 * greatest(0, 1 - penalty / greatest(open_deals, 1)), 1);

-- the p-th percentile of a sorted list, interpolated between ranks as quantile_cont does
create or replace macro percentile_of(sorted, p) as
    sorted[floor((array_length(sorted) - 1) * p)::integer + 1]
    + ((array_length(sorted) - 1) * p - floor((array_length(sorted) - 1) * p))
    * (
        sorted[least(array_length(sorted), floor((array_length(sorted) - 1) * p)::integer + 2)]
        - sorted[floor((array_length(sorted) - 1) * p)::integer + 1]
    );
