"""The 443 listener's certificate: ACM with DNS validation for a configured domain, or a generated one.

- `application:domain` set: an ACM certificate for the name, validated through a CNAME in the
  Route 53 zone (one record per configured name, never per element of an unknown list), then a
  `CertificateValidation` that waits for issuance. ACM renews it by itself while the record stays.
- no domain (dev): a certificate generated with pulumi-tls for the ALB's own DNS name (an ECDSA
  P-256 key, one year, re-issued early by `pulumi up` in its last 30 days) imported into ACM, so no
  environment ever serves plain HTTP. Clients must trust it explicitly (curl --cacert).
The difference is the declared variation `application:domain` (shared/variations.py).
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from application.settings import DomainSettings
from shared.context import LayerContext

VALIDATION_TIMEOUT = "45m"  # DNS validation usually takes minutes, sometimes half an hour
GENERATED_VALIDITY_HOURS = 365 * 24
GENERATED_EARLY_RENEWAL_HOURS = 30 * 24


@dataclass(frozen=True)
class CertificateArgs:
    domain: DomainSettings
    alb_dns_name: pulumi.Input[str]


class Certificate(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    domain_name: pulumi.Output[str]

    def __init__(self, name: str, args: CertificateArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:application:Certificate", name, None, opts)
        if args.domain.name and args.domain.hosted_zone_id:
            self.arn = self._issued(name, ctx, args.domain.name, args.domain.hosted_zone_id)
            self.domain_name = pulumi.Output.from_input(args.domain.name)
        else:
            self.arn = self._generated(name, ctx, args.alb_dns_name)
            self.domain_name = pulumi.Output.from_input(args.alb_dns_name)
        self.register_outputs({"arn": self.arn, "domainName": self.domain_name})

    def _issued(self, name: str, ctx: LayerContext, domain: str, zone_id: str) -> pulumi.Output[str]:
        certificate = aws.acm.Certificate(
            f"{name}-acm",
            domain_name=domain,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
            tags=ctx.tags(ctx.name("cert", "generic")),
            opts=ctx.tagged_child(self),
        )
        option = certificate.domain_validation_options[0]  # exactly one name is configured
        record = aws.route53.Record(
            f"{name}-validation",
            zone_id=zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=ctx.child(self),
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-validated",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=ctx.child(self, custom_timeouts=pulumi.CustomTimeouts(create=VALIDATION_TIMEOUT)),
        )
        return validation.certificate_arn

    def _generated(self, name: str, ctx: LayerContext, dns_name: pulumi.Input[str]) -> pulumi.Output[str]:
        key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=ctx.child(self))
        generated = tls.SelfSignedCert(
            f"{name}-generated",
            private_key_pem=key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=ctx.name("alb"), organization="payments"),
            dns_names=[dns_name],
            validity_period_hours=GENERATED_VALIDITY_HOURS,
            early_renewal_hours=GENERATED_EARLY_RENEWAL_HOURS,
            allowed_uses=["key_encipherment", "digital_signature", "server_auth"],
            opts=ctx.child(self),
        )
        imported = aws.acm.Certificate(
            f"{name}-acm",
            private_key=key.private_key_pem,
            certificate_body=generated.cert_pem,
            tags=ctx.tags(ctx.name("cert", "generic")),
            opts=ctx.tagged_child(self, additional_secret_outputs=["privateKey"]),
        )
        return imported.arn
