-- The channels that incidents came from, for the source filter.
-- roles: admin, operator, observer, journalist, factchecker, party
select source, count(*) as n from incidents group by source order by n desc
