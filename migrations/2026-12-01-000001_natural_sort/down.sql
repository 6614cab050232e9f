DROP COLLATION natural_sort;
