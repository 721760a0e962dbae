-- The platforms claims were seen on, for the platform filter.
-- roles: admin, operator, observer, journalist, factchecker
select platform, count(*) as n from claims group by platform order by n desc, platform
