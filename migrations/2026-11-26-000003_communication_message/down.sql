ALTER TABLE communications DROP COLUMN message;
