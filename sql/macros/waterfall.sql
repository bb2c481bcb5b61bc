-- Waterfall: the movement a deal takes in one side's pipeline, defined in words in the
-- README ("Waterfall"). A side (an owner, or a report scope) may hold the deal at the
-- opening, now, or both; when it holds it at one end only, the deal changed owner.

create or replace macro waterfall_side_movement(
    movement, in_opening, in_closing, holds_opening, holds_closing
) as
    case
        when holds_opening and holds_closing then movement
        when holds_opening and in_opening then 'reassigned_out'
        when holds_closing and in_closing then 'reassigned_in'
        when holds_closing and movement in ('won', 'lost') then movement
    end;

-- the order the report lists the movements in
create or replace macro waterfall_movement_order(movement) as
    list_position(
        [
            'opening', 'created', 'reopened', 'pulled_in', 'included', 'reassigned_in',
            'expanded', 'contracted', 'advanced', 'slipped', 'unchanged', 'pushed_out',
            'omitted', 'reassigned_out', 'won', 'lost', 'removed', 'closing'
        ],
        movement
    ) - 1;
