"""Payment functions for AWS Lambda: process, verify and settle payments (see functions/README.md)."""
