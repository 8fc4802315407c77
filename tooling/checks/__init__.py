"""Checks over plans and stacks: the one environment comparator (`compare`) and its report (`report`, `redact`,
`render`), environment parity (`parity`), the CrossGuard pack run offline (`policy`), same code (`same_code`),
every input against the installed SDKs' types (`types`); all of them over one set of plans (`suite`: `make check`)."""
