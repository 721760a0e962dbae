-- Each sighting of a claim (its reach at a time, UTC), oldest first: the claim's spread chart.
-- roles: admin, operator, observer, journalist, factchecker
select claim_id, seen_at, reach from claim_sightings where claim_id = $claim_id order by seen_at, reach
