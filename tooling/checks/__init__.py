"""Checks over plans: environment parity (`parity`) and the CrossGuard pack run offline (`policy`)."""
