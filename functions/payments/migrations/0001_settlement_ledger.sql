-- The settlement ledger: one immutable entry per transaction, plus its settlement progress.

CREATE TABLE ledger_entries (
    entry_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid        NOT NULL,
    merchant_id    text        NOT NULL,
    amount_minor   bigint      NOT NULL CHECK (amount_minor > 0),
    currency       char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    accepted_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_entries_one_per_transaction UNIQUE (transaction_id)
);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: % is not allowed (post a correcting entry)', TG_OP;
END;
$$;

CREATE TRIGGER ledger_entries_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- Written in the same transaction as the ledger entry; notified_at is set once the SNS
-- notification went out, so a redelivered message does not notify twice.
CREATE TABLE settlements (
    transaction_id uuid        PRIMARY KEY REFERENCES ledger_entries (transaction_id),
    settled_at     timestamptz NOT NULL DEFAULT now(),
    notified_at    timestamptz
);
