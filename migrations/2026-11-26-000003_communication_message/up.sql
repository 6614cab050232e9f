-- PRODUCT ADDITION: what a communication said. The reference records only that one was sent.
ALTER TABLE communications ADD COLUMN message text;
