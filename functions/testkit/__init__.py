"""Local stand-ins for what the payment functions run against, shared by functions/tests and functions/bench.py.

- `pg_server`: a throwaway PostgreSQL server with TLS and a test-only CA
- `aws_support`: a moto server and the AWS resources the data and application layers create
- `lambda_support`: the events and context Lambda, API Gateway and the SQS event source mapping pass

Never packaged into the Lambda zip (functions/package.py ships `payments` only).
"""
