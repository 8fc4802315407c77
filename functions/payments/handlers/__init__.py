"""Lambda entry points: process_payment.handler, verify_payment.handler, settlement_worker.handler."""
