-- The latest incident time: the situation room's clock when replaying past data (demo, archives).
-- roles: admin, operator, observer, journalist, factchecker, party
select max(occurred_local) as latest from incidents
