-- Pull connectors for the Sources page: state, cursor, last run, last error and next run.
-- status: erreur (the latest run failed), attente (never succeeded yet), ok.
-- roles: admin, operator
with state as (
    select * from connector_state
),
final as (
    select
        name,
        kind,
        case when consecutive_failures > 0 then 'erreur'
             when last_success_at is null then 'attente'
             else 'ok' end                       as status,
        url,
        form,
        cursor_time,
        n_pulled,
        n_last_run,
        last_run_at,
        last_success_at,
        next_run_at,
        consecutive_failures,
        last_error,
        last_error_at,
        active
    from state
)
select * from final order by active desc, name
