"""The promotion record of one environment: no resources, only the record as outputs.

`make deploy` sets `promotion:record` (the record as JSON, validated by shared.promotion) in this
project's gitignored `Pulumi.<env>.yaml` and runs `pulumi up`; the stack's outputs are then the record
(`pulumi stack output --json`), read by the gate of the environment promoted from it and by that
environment's application layer (a StackReference).
"""

import json

import pulumi

from shared.promotion import PromotionRecord

record = PromotionRecord.model_validate(json.loads(pulumi.Config("promotion").require("record")))
for key, value in record.outputs().items():
    pulumi.export(key, value)
