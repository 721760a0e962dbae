-- Social-media claims, the most recently seen first, then the widest reach: the Désinformation page.
-- $verdicts: codes to keep ('non_verifie' for claims without a verdict), empty = all; $platforms: empty =
-- all; $search: words in the text or the link ('' = all); $date_from/$date_to: first seen in that UTC period
-- (claims never dated are kept); $communes: the commune of the reports linked to it (empty = all).
-- Journalists read only claims with a verdict, and no one who checked them.
-- roles: admin, operator, observer, journalist, factchecker
with chosen as (
    select *
    from claims
    where (len($verdicts::varchar[]) = 0 or list_contains($verdicts::varchar[], coalesce(verdict, 'non_verifie')))
      and (len($platforms::varchar[]) = 0 or list_contains($platforms::varchar[], platform))
      and ($search = '' or contains(lower(coalesce(text, '') || ' ' || url), lower($search)))
      and (first_seen is null or (first_seen >= $date_from and first_seen < $date_to))
      and (len($communes::varchar[]) = 0 or list_contains($communes::varchar[], commune_code))
),
final as (
    select claim_id, first_seen, platform, url, text, reach, n_sightings, last_seen, verdict, justification,
           debunk_url, verdict_at, verdict_by, commune_code, n_linked, version
    from chosen
    order by first_seen desc nulls last, reach desc nulls last, claim_id desc
    limit $limit
)
select * from final
