-- Rule 1 of vigie/alerts.py, communes above their own baseline: per commune with at least $min_count
-- incidents in the last 24 h or in the current day ($now, local time), those counts and its incidents
-- from $history_from until 24 h before $now (its baseline), with its département's incidents per
-- commune over the same days (the baseline of a commune without history). False and duplicate
-- incidents do not count. The Poisson test itself is in vigie/alerts.py.
-- roles: admin, operator
with recent as (
    select commune_code, occurred_local
    from incidents
    where occurred_local >= $history_from
      and occurred_local <= $now
      and commune_code is not null
      and status not in ('faux', 'doublon')
),
counted as (
    select
        commune_code,
        count(*) filter (where occurred_local > $now - interval 24 hour)                    as n_24h,
        count(*) filter (where occurred_local >= date_trunc('day', $now::timestamp))        as n_today,
        count(*) filter (where occurred_local <= $now - interval 24 hour)                   as n_history
    from recent
    group by commune_code
),
per_departement as (
    select c.departement_code, sum(coalesce(k.n_history, 0)) / count(*) as departement_history_per_commune
    from communes c
    left join counted k using (commune_code)
    group by c.departement_code
),
final as (
    select
        k.commune_code,
        c.commune,
        c.departement_code,
        c.departement,
        k.n_24h,
        k.n_today,
        k.n_history,
        d.departement_history_per_commune
    from counted k
    join communes c using (commune_code)
    join per_departement d using (departement_code)
    where k.n_24h >= $min_count or k.n_today >= $min_count
)
select * from final order by commune_code
