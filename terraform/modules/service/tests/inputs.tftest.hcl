# The module's input rules, planned against a mocked AWS provider (no credentials, no network).
# Run: terraform -chdir=terraform/modules/service test   (scripts/terraform-check.sh does)

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-central-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  vpc_id                           = "vpc-0123456789abcdef0"
  public_subnet_ids                = ["subnet-a", "subnet-b"]
  private_subnet_ids               = ["subnet-c", "subnet-d"]
  vpc_link_security_group_id       = "sg-vpclink"
  cloud_map_namespace_id           = "ns-123"
  origin_zone_id                   = "Z123"
  origin_record_name               = "Jessica-Origin.example.io."
  elevenlabs_api_key_parameter_arn = "arn:aws:ssm:eu-central-1:123456789012:parameter/jessica/prod/elevenlabs-api-key"
  tokens_parameter_arn             = "arn:aws:ssm:eu-central-1:123456789012:parameter/jessica/prod/tokens"
  allowed_origins                  = ["https://jessica.example.io"]
  public_url                       = "https://jessica.example.io/"
}

run "defaults" {
  command = plan

  assert {
    condition     = aws_ecs_service.service.network_configuration[0].assign_public_ip && toset(aws_ecs_service.service.network_configuration[0].subnets) == toset(["subnet-a", "subnet-b"])
    error_message = "The default egress is a public IP in a public subnet (no NAT)."
  }
  assert {
    condition     = local.stop_timeout == 35
    error_message = "The stop timeout is the 25 s drain deadline plus 10 s (5 s socket close + margin)."
  }
  assert {
    condition     = output.websocket_origin.domain_name == "jessica-origin.example.io" && output.websocket_origin.http_port == 9020
    error_message = "CloudFront reaches the task through its normalised origin record on the container port."
  }
  assert {
    condition     = length(aws_lb.service) == 0 && length(aws_sfn_state_machine.origin_record) == 1
    error_message = "No load balancer by default; the origin record follows the task."
  }
  assert {
    condition     = length(aws_elasticache_serverless_cache.pubsub) == 0 && length(aws_security_group.pubsub) == 0 && length(aws_vpc_security_group_egress_rule.task_to_pubsub) == 0
    error_message = "No cache, no cache security group and no egress to it by default (pubsub = \"none\")."
  }
  assert {
    condition     = !contains(keys(local.environment), "JESSICA_PUBSUB") && !contains(keys(local.secrets), "JESSICA_PUBSUB")
    error_message = "Without pub/sub the task gets no JESSICA_PUBSUB."
  }
  assert {
    condition     = aws_appautoscaling_target.service.max_capacity == 1 && output.pubsub_endpoint == null
    error_message = "One task at most by default."
  }
  assert {
    condition     = local.environment["JESSICA_ALLOWED_HOSTS"] == "jessica.example.io"
    error_message = "The task answers to the site's Host (the WebSocket path through CloudFront) and nothing else by name."
  }
  assert {
    condition     = length(aws_appautoscaling_policy.active_connections) == 0
    error_message = "No target tracking (and its two billed alarms) while max_tasks = 1 pins the window at one task."
  }
  assert {
    condition     = alltrue([for name, state in local.origin_record_states : state.Type != "Task" || (length(try(state.Retry, [])) > 0 && anytrue([for retry in try(state.Retry, []) : contains(retry.ErrorEquals, "States.ALL") && try(retry.MaxAttempts, 0) >= 3 && try(retry.BackoffRate, 0) > 1]))])
    error_message = "Every Task state of the origin-record workflow retries with backoff."
  }
  assert {
    condition     = alltrue([for name, state in local.origin_record_states : state.Type != "Task" || anytrue([for catch in try(state.Catch, []) : contains(catch.ErrorEquals, "States.ALL") && contains(["Failed", "ParkIfCurrent"], catch.Next)])])
    error_message = "A Task that still fails after its retries ends in the Fail state (which alarms), parking the record first where it can."
  }
  assert {
    condition     = length([for name, state in local.origin_record_states : name if anytrue([for change in try(state.Arguments.ChangeBatch.Changes, []) : change.Action == "DELETE"]) && !anytrue([for change in try(state.Arguments.ChangeBatch.Changes, []) : change.Action == "CREATE"])]) == 0
    error_message = "No change batch deletes the origin record without creating its replacement (no NXDOMAIN window)."
  }
  assert {
    condition     = aws_route53_record.origin[0].name == "jessica-origin.example.io" && aws_route53_record.origin[0].records == toset(["192.0.2.1"]) && aws_route53_record.origin[0].ttl == 60
    error_message = "The origin record exists from the first apply, at the placeholder address."
  }
}

run "valkey_pubsub_for_several_tasks" {
  command = plan

  variables {
    pubsub    = "valkey_serverless"
    max_tasks = 3
  }

  # Known IDs and endpoint at plan time (the mocked provider leaves computed values unknown).
  override_resource {
    target          = aws_security_group.task
    override_during = plan
    values          = { id = "sg-task" }
  }
  override_resource {
    target          = aws_security_group.pubsub
    override_during = plan
    values          = { id = "sg-pubsub" }
  }
  override_resource {
    target          = aws_elasticache_serverless_cache.pubsub
    override_during = plan
    values = {
      endpoint = [{ address = "jessica-pubsub-abc123.serverless.euc1.cache.amazonaws.com", port = 6379 }]
    }
  }

  assert {
    condition     = length(aws_elasticache_serverless_cache.pubsub) == 1 && aws_elasticache_serverless_cache.pubsub[0].engine == "valkey" && aws_elasticache_serverless_cache.pubsub[0].major_engine_version == "8"
    error_message = "pubsub = \"valkey_serverless\" creates one ElastiCache Serverless cache for Valkey 8."
  }
  assert {
    condition     = aws_elasticache_serverless_cache.pubsub[0].cache_usage_limits[0].data_storage[0].maximum == 1 && aws_elasticache_serverless_cache.pubsub[0].cache_usage_limits[0].data_storage[0].unit == "GB" && aws_elasticache_serverless_cache.pubsub[0].cache_usage_limits[0].ecpu_per_second[0].maximum == 5000
    error_message = "The cache is capped at 1 GB of data and 5000 ECPUs per second."
  }
  assert {
    condition     = aws_elasticache_serverless_cache.pubsub[0].snapshot_retention_limit == 0
    error_message = "The live channel's state is ephemeral: no snapshots."
  }
  assert {
    condition     = aws_elasticache_serverless_cache.pubsub[0].subnet_ids == toset(["subnet-a", "subnet-b"]) && aws_elasticache_serverless_cache.pubsub[0].security_group_ids == toset(["sg-pubsub"])
    error_message = "The cache sits in the task subnets behind its own security group."
  }
  assert {
    condition = (
      length(aws_vpc_security_group_ingress_rule.pubsub_from_task) == 1 &&
      aws_vpc_security_group_ingress_rule.pubsub_from_task[0].security_group_id == "sg-pubsub" &&
      aws_vpc_security_group_ingress_rule.pubsub_from_task[0].referenced_security_group_id == "sg-task" &&
      aws_vpc_security_group_ingress_rule.pubsub_from_task[0].cidr_ipv4 == null &&
      aws_vpc_security_group_ingress_rule.pubsub_from_task[0].ip_protocol == "tcp" &&
      aws_vpc_security_group_ingress_rule.pubsub_from_task[0].from_port == 6379 &&
      aws_vpc_security_group_ingress_rule.pubsub_from_task[0].to_port == 6379
    )
    error_message = "The cache admits TCP 6379 from the task's security group only."
  }
  assert {
    condition = (
      aws_vpc_security_group_egress_rule.task_to_pubsub[0].security_group_id == "sg-task" &&
      aws_vpc_security_group_egress_rule.task_to_pubsub[0].referenced_security_group_id == "sg-pubsub" &&
      aws_vpc_security_group_egress_rule.task_to_pubsub[0].from_port == 6379 &&
      aws_vpc_security_group_egress_rule.task_to_pubsub[0].to_port == 6379
    )
    error_message = "The task may open TCP 6379 towards the cache's security group."
  }
  assert {
    condition     = local.environment["JESSICA_PUBSUB"] == "rediss://jessica-pubsub-abc123.serverless.euc1.cache.amazonaws.com:6379" && !contains(keys(local.secrets), "JESSICA_PUBSUB")
    error_message = "The task gets JESSICA_PUBSUB=rediss://<endpoint>:<port> as a plain variable (no password: the default user, access by security group)."
  }
  assert {
    condition     = aws_appautoscaling_target.service.max_capacity == 3 && tonumber(aws_appautoscaling_scheduled_action.scale_out.scalable_target_action[0].max_capacity) == 3 && length(aws_appautoscaling_policy.active_connections) == 1
    error_message = "With the shared channel, target tracking may run up to max_tasks tasks."
  }
  assert {
    condition     = output.pubsub_endpoint == "jessica-pubsub-abc123.serverless.euc1.cache.amazonaws.com:6379" && output.pubsub_security_group_id == "sg-pubsub"
    error_message = "The module reports the cache endpoint and its security group."
  }
}

run "valkey_pubsub_in_private_subnets" {
  command = plan

  variables {
    egress     = "nat_instance"
    ws_ingress = "alb"
    pubsub     = "valkey_serverless"
    max_tasks  = 2
  }

  assert {
    condition     = aws_elasticache_serverless_cache.pubsub[0].subnet_ids == toset(["subnet-c", "subnet-d"])
    error_message = "Behind a NAT the cache follows the tasks into the private subnets."
  }
}

run "external_pubsub_from_a_parameter" {
  command = plan

  variables {
    pubsub               = "external"
    pubsub_parameter_arn = "arn:aws:ssm:eu-central-1:123456789012:parameter/jessica/prod/pubsub"
    max_tasks            = 2
  }

  assert {
    condition     = local.secrets["JESSICA_PUBSUB"] == "arn:aws:ssm:eu-central-1:123456789012:parameter/jessica/prod/pubsub" && !contains(keys(local.environment), "JESSICA_PUBSUB")
    error_message = "pubsub = \"external\" injects JESSICA_PUBSUB from SSM as a secret."
  }
  assert {
    condition     = length(aws_elasticache_serverless_cache.pubsub) == 0 && length(aws_security_group.pubsub) == 0
    error_message = "An external channel creates no cache."
  }
}

run "external_pubsub_needs_its_parameter" {
  command = plan

  variables {
    pubsub = "external"
  }

  expect_failures = [var.pubsub]
}

run "pubsub_parameter_only_with_external" {
  command = plan

  variables {
    pubsub_parameter_arn = "arn:aws:ssm:eu-central-1:123456789012:parameter/jessica/prod/pubsub"
  }

  expect_failures = [var.pubsub]
}

run "private_subnets_behind_a_nat" {
  command = plan

  variables {
    egress     = "nat_instance"
    ws_ingress = "alb"
  }

  assert {
    condition     = !aws_ecs_service.service.network_configuration[0].assign_public_ip && toset(aws_ecs_service.service.network_configuration[0].subnets) == toset(["subnet-c", "subnet-d"])
    error_message = "Behind a NAT the task has no public IP and runs in the private subnets."
  }
}

run "cloudfront_ingress_needs_a_public_ip" {
  command = plan

  variables {
    egress     = "nat_gateway"
    ws_ingress = "cloudfront"
  }

  expect_failures = [var.ws_ingress]
}

# Listeners live in one task's memory without pub/sub: more than one task is refused.
run "several_tasks_need_a_shared_channel" {
  command = plan

  variables {
    max_tasks = 3
  }

  expect_failures = [var.max_tasks]
}

run "drain_must_fit_the_fargate_stop_timeout" {
  command = plan

  variables {
    drain_timeout_ms = 115000
  }

  expect_failures = [var.drain_timeout_ms]
}
