-- Social-media claims, the most recently seen first, then the widest reach: the Désinformation page.
-- $verdicts: codes to keep ('non_verifie' for claims without a verdict), empty = all; $platforms: empty =
-- all; $search: words in the text or the link ('' = all). Journalists read only claims with a verdict.
-- roles: admin, operator, observer, journalist
with chosen as (
    select *
    from claims
    where (len($verdicts::varchar[]) = 0 or list_contains($verdicts::varchar[], coalesce(verdict, 'non_verifie')))
      and (len($platforms::varchar[]) = 0 or list_contains($platforms::varchar[], platform))
      and ($search = '' or contains(lower(coalesce(text, '') || ' ' || url), lower($search)))
),
final as (
    select claim_id, first_seen, platform, url, text, reach, verdict, debunk_url
    from chosen
    order by first_seen desc nulls last, reach desc nulls last, claim_id desc
    limit $limit
)
select * from final
