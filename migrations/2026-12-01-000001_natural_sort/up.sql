-- PRODUCT ADDITION: choices are listed in natural order, numbers by their value ("Incident 2" before "Incident 10"),
-- by the database itself, so a list cut short keeps the first choices in the order shown.
CREATE COLLATION natural_sort (provider = icu, locale = 'und-u-kn-true');
