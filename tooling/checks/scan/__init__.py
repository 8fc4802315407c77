"""Deployability evidence from the offline plans (`make scan`): each plan converted to Terraform-plan JSON
(`tftypes`: types by the bridge's naming rule, verified; `tfplan`: names, shapes, references), scanned by
checkov (`checkov_run`), its IAM policy documents linted by parliament (`iam_lint`), findings judged
against policy/waivers.yaml (`findings`); `scan` ties them together."""
