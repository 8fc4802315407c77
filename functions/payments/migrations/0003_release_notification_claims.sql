-- Withdrawing a notification claim SNS refused, without ever releasing another one: the worker
-- claims a batch's notifications, publishes them, and withdraws the claims of the ones SNS refused
-- before it commits. The writer may not DELETE; this function, which runs as its owner, deletes
-- only claims the calling transaction itself inserted (their xmin is its transaction id), so a
-- committed claim can never be removed through it. The migration step grants EXECUTE to the writer
-- alone (payments/ledger_roles.py).

CREATE FUNCTION release_notification_claims(transaction_ids uuid[]) RETURNS void
    LANGUAGE sql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM public.settlement_notifications
     WHERE transaction_id = ANY (transaction_ids)
       AND xmin = pg_current_xact_id()::xid;
$$;

REVOKE ALL ON FUNCTION release_notification_claims(uuid[]) FROM PUBLIC;
