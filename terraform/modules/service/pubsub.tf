# The shared live channel that lets the service run more than one task (fargate/pubsub/README.md).
#
#   pubsub = "valkey_serverless": an ElastiCache Serverless for Valkey cache. Tasks publish speech
#     and keep presence, leases and the upstream limit there; the server reads its URL from
#     JESSICA_PUBSUB=rediss://<endpoint>:6379.
#
#   Access: the cache has its own security group that admits TCP 6379 from the task's security
#   group and nothing else, and the task may open 6379 only towards that group. No ElastiCache
#   user group is attached, so the cache's default user needs no password: the network is the
#   access control (the URL then holds no secret and goes in as a plain environment variable).
#   TLS is always on for serverless caches, hence rediss://. Whoever can run code in the task's
#   security group can reach the cache; nothing else in the VPC can.
#
#   Cost (us-east-1, docs/costs.md): billed 24/7 while it exists - serverless caches cannot be
#   paused - at the Valkey minimum of 100 MB data storage, ~$6.1/month; the ECPUs of the live
#   channel are cents. The usage limits below cap what a runaway could cost.
#
#   pubsub = "external": JESSICA_PUBSUB comes from pubsub_parameter_arn as a secret (main.tf);
#   the network path to that Redis is the caller's business.

locals {
  # Serverless caches listen on 6379 (read-write) and 6380 (READONLY reads); the server uses
  # 6379 only.
  pubsub_port = 6379

  pubsub_environment = local.use_valkey ? {
    JESSICA_PUBSUB = "rediss://${aws_elasticache_serverless_cache.pubsub[0].endpoint[0].address}:${aws_elasticache_serverless_cache.pubsub[0].endpoint[0].port}"
  } : {}
}

resource "aws_security_group" "pubsub" {
  count       = local.use_valkey ? 1 : 0
  name_prefix = "${var.name}-pubsub-"
  description = "Jessica live channel (Valkey): TCP ${local.pubsub_port} from the Jessica tasks only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-pubsub" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "pubsub_from_task" {
  count                        = local.use_valkey ? 1 : 0
  security_group_id            = aws_security_group.pubsub[0].id
  description                  = "Jessica tasks"
  referenced_security_group_id = aws_security_group.task.id
  ip_protocol                  = "tcp"
  from_port                    = local.pubsub_port
  to_port                      = local.pubsub_port
}

resource "aws_vpc_security_group_egress_rule" "task_to_pubsub" {
  count                        = local.use_valkey ? 1 : 0
  security_group_id            = aws_security_group.task.id
  description                  = "Jessica live channel (Valkey)"
  referenced_security_group_id = aws_security_group.pubsub[0].id
  ip_protocol                  = "tcp"
  from_port                    = local.pubsub_port
  to_port                      = local.pubsub_port
}

resource "aws_elasticache_serverless_cache" "pubsub" {
  count                = local.use_valkey ? 1 : 0
  name                 = "${var.name}-pubsub"
  description          = "Jessica live channel: listeners, speech, stop and the upstream limit shared across tasks"
  engine               = "valkey"
  major_engine_version = var.valkey_major_engine_version
  # Endpoints in the task subnets (one per AZ the tasks use).
  subnet_ids         = local.task_subnet_ids
  security_group_ids = [aws_security_group.pubsub[0].id]
  # Everything in the cache is ephemeral by design (leases with TTLs, presence refreshed every
  # few seconds, rewritten after a reconnect), so there is nothing to snapshot.
  snapshot_retention_limit = 0

  cache_usage_limits {
    data_storage {
      maximum = var.valkey_max_data_storage_gb
      unit    = "GB"
    }
    ecpu_per_second {
      maximum = var.valkey_max_ecpu_per_second
    }
  }

  tags = var.tags
}
