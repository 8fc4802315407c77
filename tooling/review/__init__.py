"""`make review`: what the working tree does to each environment compared with a base commit (`review`),
from both sides' offline plans: resources and properties (`diff`), replacements from the provider
schema (`replacement`), parity, permission broadening, cost, findings and the Lambda artifact; written
as a pull-request comment, a JSON report and a terminal table (`render`, `report`)."""
