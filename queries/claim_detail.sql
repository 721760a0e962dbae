-- One claim as the role sees it (the columns of its claims view, without the original record).
-- roles: admin, operator, observer, journalist, factchecker
select columns(c -> c <> 'raw') from claims where claim_id = $claim_id
