"""Checks over plans: environment parity (`parity`), the CrossGuard pack run offline (`policy`) and
every input against the installed SDKs' types (`types`)."""
