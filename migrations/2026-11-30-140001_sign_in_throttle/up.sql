-- PRODUCT ADDITION: failed sign-ins, kept in the database so that every app server slows the same guesser. A key
-- is an account (`account:` and the email, lower case) or a client address (`address:` and the IP). Attempts are
-- counted as they start; `refused` counts the attempts turned away while waiting, which are not audited one by one.
CREATE TABLE sign_in_throttle (
    key text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_attempt_at timestamptz NOT NULL,
    refused bigint NOT NULL DEFAULT 0 CHECK (refused >= 0)
);
