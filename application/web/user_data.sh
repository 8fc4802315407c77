#!/bin/bash
# Web tier instance bootstrap (Amazon Linux 2023, arm64). Rendered by application/web_tier.py:
# the double-at placeholders below are replaced before launch, nothing else is templated, so the same inputs
# always give the same launch template (no new version, no instance refresh, unless this file
# or its inputs change).
set -euo pipefail

COLOR="@@COLOR@@"
PORT="@@PORT@@"
# The rest comes from the instance metadata (IMDSv2; the launch template allows its tags), so the
# script is the same in every environment.
TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
metadata() { curl -fsS -H "X-aws-ec2-metadata-token: ${TOKEN}" "http://169.254.169.254/latest/meta-data/$1"; }
REGION=$(metadata placement/region)
ENVIRONMENT=$(metadata tags/instance/Environment)
LOG_GROUP_PREFIX=$(metadata tags/instance/LogGroupPrefix)

# --- packages: from the Amazon Linux repositories (S3, reached through the gateway endpoint) ---
dnf install -y nginx amazon-cloudwatch-agent

# --- the page and the health endpoint ---
mkdir -p /usr/share/nginx/payments
cat > /usr/share/nginx/payments/index.html <<HTML
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Payments</title></head>
<body>
<h1>Payments</h1>
<p>Serving from the ${COLOR} fleet of ${ENVIRONMENT}.</p>
<p>The payments API is at <code>/api/process-payment</code> and <code>/api/verify-payment</code>.</p>
</body>
</html>
HTML
cat > /etc/nginx/conf.d/payments.conf <<NGINX
server {
    listen ${PORT} default_server;
    root /usr/share/nginx/payments;
    server_tokens off;
    add_header X-Served-By "${COLOR}" always;
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    location = /health { access_log off; default_type application/json; return 200 '{"status":"ok","color":"${COLOR}"}'; }
    location / { try_files \$uri \$uri/ /index.html; }
}
NGINX
# The stock server block listens on 80; only ours serves.
sed -i 's/listen       80;/listen 127.0.0.1:81;/; s/listen       \[::\]:80;//' /etc/nginx/nginx.conf
systemctl enable --now nginx

# --- CloudWatch agent: memory and disk metrics, nginx and system logs (pre-created, KMS-encrypted groups),
# and traces: X-Ray segments (UDP 2000, sampling through TCP 2000) and OpenTelemetry (OTLP 4317/4318) from
# local applications, sent on to X-Ray through the VPC endpoint. It replaces the X-Ray daemon, whose end of
# support is 2027-02-25. ---
cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<JSON
{
  "agent": {"metrics_collection_interval": 60},
  "metrics": {
    "namespace": "Payments/WebTier",
    "append_dimensions": {"AutoScalingGroupName": "\${aws:AutoScalingGroupName}", "InstanceId": "\${aws:InstanceId}"},
    "aggregation_dimensions": [["AutoScalingGroupName"]],
    "metrics_collected": {
      "mem": {"measurement": ["mem_used_percent"]},
      "disk": {"measurement": ["used_percent"], "resources": ["/"]}
    }
  },
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          {"file_path": "/var/log/nginx/access.log", "log_group_name": "${LOG_GROUP_PREFIX}/nginx-access", "log_stream_name": "{instance_id}"},
          {"file_path": "/var/log/nginx/error.log", "log_group_name": "${LOG_GROUP_PREFIX}/nginx-error", "log_stream_name": "{instance_id}"},
          {"file_path": "/var/log/cloud-init-output.log", "log_group_name": "${LOG_GROUP_PREFIX}/bootstrap", "log_stream_name": "{instance_id}"}
        ]
      }
    }
  },
  "traces": {
    "traces_collected": {
      "xray": {"bind_address": "127.0.0.1:2000", "tcp_proxy": {"bind_address": "127.0.0.1:2000"}},
      "otlp": {"grpc_endpoint": "127.0.0.1:4317", "http_endpoint": "127.0.0.1:4318"}
    }
  }
}
JSON
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
  -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
