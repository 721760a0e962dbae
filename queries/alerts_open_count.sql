-- How many alerts are open (neither acknowledged nor cleared): the overview's figure.
-- roles: admin, operator, observer
select count(*) as n_open from alerts where state = 'ouverte'
