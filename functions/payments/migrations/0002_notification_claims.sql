-- Notification claims: a row here means "this transaction's settlement notification is (being)
-- published". The worker inserts the claim (ON CONFLICT DO NOTHING) in a transaction it keeps open
-- while it publishes and commits afterwards, so a concurrent delivery of the same message waits
-- for the row and then finds it taken: one notification per transaction. It replaces
-- settlements.notified_at, which needed UPDATE, a privilege the ledger writer does not have.

CREATE TABLE settlement_notifications (
    transaction_id uuid        PRIMARY KEY REFERENCES settlements (transaction_id),
    notified_at    timestamptz NOT NULL DEFAULT now()
);

INSERT INTO settlement_notifications (transaction_id, notified_at)
    SELECT transaction_id, notified_at FROM settlements WHERE notified_at IS NOT NULL;

ALTER TABLE settlements DROP COLUMN notified_at;
