-- Claims first seen per day (UTC) and verdict, for the Désinformation chart; the same filters as claims_list.
-- roles: admin, operator, observer, journalist, factchecker
with chosen as (
    select cast(first_seen as date) as day, coalesce(verdict, 'non_verifie') as verdict
    from claims
    where first_seen is not null
      and (len($verdicts::varchar[]) = 0 or list_contains($verdicts::varchar[], coalesce(verdict, 'non_verifie')))
      and (len($platforms::varchar[]) = 0 or list_contains($platforms::varchar[], platform))
      and ($search = '' or contains(lower(coalesce(text, '') || ' ' || url), lower($search)))
      and first_seen >= $date_from and first_seen < $date_to
      and (len($communes::varchar[]) = 0 or list_contains($communes::varchar[], commune_code))
),
final as (
    select day, verdict, count(*) as n_claims from chosen group by day, verdict
)
select * from final order by day, verdict
