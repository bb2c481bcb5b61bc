-- fct_activities: one row per call, meeting or task, with its owner's team.

with

activities as (

    select * from int_activities_unioned

),

users as (

    select * from dim_users

),

final as (

    select
        activities.activity_id,
        activities.activity_type,
        activities.owner_id,
        users.team,
        activities.related_id,
        activities.subject,
        activities.status,
        activities.activity_date,
        activities.source

    from activities

    left join users
        on activities.owner_id = users.user_id

)

select * from final
