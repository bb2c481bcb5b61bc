-- Discipline: a rule's scope and the compliance score, defined in words in the README
-- ("Discipline").

-- empty or null lists mean "all"
create or replace macro in_rule_scope(rule_teams, rule_regions, team, region) as
    (coalesce(len(rule_teams), 0) = 0 or list_contains(rule_teams, team))
    and (coalesce(len(rule_regions), 0) = 0 or list_contains(rule_regions, region));

create or replace macro compliance_score(penalty, open_deals) as
    round(100 * greatest(0, 1 - penalty / greatest(open_deals, 1)), 1);

-- the p-th percentile of a sorted list, interpolated between ranks as quantile_cont does
create or replace macro percentile_of(sorted, p) as
    sorted[floor((len(sorted) - 1) * p)::integer + 1]
    + ((len(sorted) - 1) * p - floor((len(sorted) - 1) * p))
    * (
        sorted[least(len(sorted), floor((len(sorted) - 1) * p)::integer + 2)]
        - sorted[floor((len(sorted) - 1) * p)::integer + 1]
    );
