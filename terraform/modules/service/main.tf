# Jessica's live server on ECS Fargate: image registry, task, service, schedule and scaling,
# network access, IAM and the settings table. Ingress for WebSockets (CloudFront origin record
# or internal ALB) lives in ingress.tf, the optional shared live channel (Valkey) in pubsub.tf.
# The design and its costs: docs/architecture.md (Deployment on AWS).

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  # The metric dimension and Powertools service name are part of the contract (SPEC §8,
  # dashboards, alarms, target tracking), so they do not follow var.name.
  metric_namespace = "Jessica"
  metric_service   = "jessica"

  container_name = var.name
  health_url     = "http://127.0.0.1:${var.container_port}${var.root_path}/health"
  # SIGTERM starts the server's drain (up to the deadline, then up to 5 s to close sockets);
  # ECS sends SIGKILL after stopTimeout (Fargate max 120 s).
  stop_timeout = min(120, ceil(var.drain_timeout_ms / 1000) + 10)

  private_egress  = var.egress != "public_ip"
  task_subnet_ids = local.private_egress ? var.private_subnet_ids : var.public_subnet_ids
  use_alb         = var.ws_ingress == "alb"
  use_valkey      = var.pubsub == "valkey_serverless"

  # CloudFront forwards the viewer's Host on the WebSocket path (the site's); the HTTP API sets the
  # Host of its private integration itself (the ALB's name, or the address Cloud Map gave it).
  allowed_hosts = distinct(concat(
    [for url in concat([var.public_url], var.allowed_origins) : lower(regex("^https?://([^/:]+)", url)[0])],
    var.allowed_hosts,
    local.use_alb ? [aws_lb.service[0].dns_name] : [],
  ))

  environment = merge({
    HOST                         = "0.0.0.0"
    PORT                         = tostring(var.container_port)
    NODE_ENV                     = "production"
    ROOT_PATH                    = var.root_path
    ELEVENLABS_BASE_URL          = var.elevenlabs_base_url
    JESSICA_ALLOWED_ORIGINS      = join(",", var.allowed_origins)
    JESSICA_SETTINGS             = "dynamodb:${module.settings_table.name}"
    JESSICA_PUBLIC_URL           = var.public_url
    JESSICA_ALLOWED_HOSTS        = join(",", local.allowed_hosts)
    JESSICA_DRAIN_TIMEOUT_MS     = tostring(var.drain_timeout_ms)
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = local.metric_service
    POWERTOOLS_METRICS_NAMESPACE = local.metric_namespace
  }, local.pubsub_environment, var.extra_environment)

  secrets = merge(
    {
      ELEVENLABS_API_KEY = var.elevenlabs_api_key_parameter_arn
      JESSICA_TOKENS     = var.tokens_parameter_arn
    },
    var.pubsub == "external" ? { JESSICA_PUBSUB = var.pubsub_parameter_arn } : {},
  )
  secret_arns = values(local.secrets)
}

# --- image registry -------------------------------------------------------------------------------

resource "aws_ecr_repository" "service" {
  name = var.name
  # Deploys push the commit SHA; a tag never moves, so a task definition always means one image.
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "keep_last_5" {
  repository = aws_ecr_repository.service.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 5 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 5
      }
      action = { type = "expire" }
    }]
  })
}

# --- logs and settings ----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "service" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

module "settings_table" {
  source = "../settings-table"
  name   = var.settings_table_name
  tags   = var.tags
}

# --- task ------------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "service" {
  name = var.name

  # Container Insights bills its metrics per task and service; the app's own EMF metrics
  # (namespace Jessica) cover what the alarms and the dashboard need.
  setting {
    name  = "containerInsights"
    value = "disabled"
  }

  tags = var.tags
}

resource "aws_ecs_task_definition" "service" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  # The deploy workflow registers newer revisions (same family, new image); keep them usable
  # when Terraform replaces its own revision.
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  container_definitions = jsonencode([{
    name      = local.container_name
    image     = "${aws_ecr_repository.service.repository_url}:${var.image_tag}"
    essential = true
    portMappings = [{
      name          = "http"
      containerPort = var.container_port
      protocol      = "tcp"
    }]
    environment = [for key in sort(keys(local.environment)) : { name = key, value = local.environment[key] }]
    secrets     = [for key in sort(keys(local.secrets)) : { name = key, valueFrom = local.secrets[key] }]
    # The image has no curl; node is there. Same probe as the Dockerfile HEALTHCHECK.
    healthCheck = {
      command     = ["CMD", "node", "-e", "fetch('${local.health_url}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 15
    }
    stopTimeout            = local.stop_timeout
    readonlyRootFilesystem = true
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = var.name
        # Explicit: a full log buffer drops lines instead of blocking the event loop.
        mode            = "non-blocking"
        max-buffer-size = "4m"
      }
    }
  }])

  tags = var.tags
}

# --- network access ----------------------------------------------------------------------------------

data "aws_ec2_managed_prefix_list" "cloudfront_origin_facing" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "task" {
  name_prefix = "${var.name}-task-"
  description = "Jessica task: container port only from the VPC link and CloudFront or the ALB"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-task" })

  lifecycle {
    create_before_destroy = true
  }
}

# Daytime REST/MCP: HTTP API -> VPC link -> Cloud Map -> task. (With the ALB, the VPC link
# targets the ALB and only the ALB reaches the task.)
resource "aws_vpc_security_group_ingress_rule" "task_from_vpc_link" {
  count                        = local.use_alb ? 0 : 1
  security_group_id            = aws_security_group.task.id
  description                  = "HTTP API VPC link"
  referenced_security_group_id = var.vpc_link_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# WebSockets: CloudFront edge -> task public IP. The managed prefix list holds CloudFront's
# origin-facing ranges only; it counts as ~55 rules against the group's quota of 60.
resource "aws_vpc_security_group_ingress_rule" "task_from_cloudfront" {
  count             = local.use_alb ? 0 : 1
  security_group_id = aws_security_group.task.id
  description       = "CloudFront origin-facing servers (WebSocket path)"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id
  ip_protocol       = "tcp"
  from_port         = var.container_port
  to_port           = var.container_port
}

resource "aws_vpc_security_group_ingress_rule" "task_from_alb" {
  count                        = local.use_alb ? 1 : 0
  security_group_id            = aws_security_group.task.id
  description                  = "Internal ALB"
  referenced_security_group_id = aws_security_group.alb[0].id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# ElevenLabs, ECR, SSM, CloudWatch Logs and DynamoDB all speak HTTPS. DNS goes to the VPC
# resolver, which security groups do not filter.
resource "aws_vpc_security_group_egress_rule" "task_https" {
  security_group_id = aws_security_group.task.id
  description       = "HTTPS to ElevenLabs and AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# --- service -----------------------------------------------------------------------------------------

resource "aws_service_discovery_service" "service" {
  count         = local.use_alb ? 0 : 1
  name          = var.name
  force_destroy = true

  # API Gateway's VPC link resolves Cloud Map services through DiscoverInstances and needs the
  # port as well as the IP, hence SRV records (aws-notes §A3).
  dns_config {
    namespace_id   = var.cloud_map_namespace_id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "SRV"
      ttl  = 10
    }
  }

  # ECS reports the container health check result to Cloud Map.
  health_check_custom_config {
    failure_threshold = 1
  }

  tags = var.tags
}

resource "aws_ecs_service" "service" {
  name                               = var.name
  cluster                            = aws_ecs_cluster.service.id
  task_definition                    = aws_ecs_task_definition.service.arn
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  desired_count                      = 0
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  health_check_grace_period_seconds  = local.use_alb ? 30 : null
  wait_for_steady_state              = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = local.task_subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = !local.private_egress
  }

  dynamic "service_registries" {
    for_each = local.use_alb ? [] : [1]
    content {
      registry_arn   = aws_service_discovery_service.service[0].arn
      container_name = local.container_name
      container_port = var.container_port
    }
  }

  dynamic "load_balancer" {
    for_each = local.use_alb ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.service[0].arn
      container_name   = local.container_name
      container_port   = var.container_port
    }
  }

  lifecycle {
    # desired_count belongs to Application Auto Scaling (schedule + target tracking);
    # task_definition to the deploy workflow, which registers a revision per image.
    ignore_changes = [desired_count, task_definition]
  }

  tags = var.tags
}

# --- schedule and scaling ---------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "service" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.service.name}/${aws_ecs_service.service.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 0
  max_capacity       = var.max_tasks

  lifecycle {
    # The scheduled actions move min/max every morning and evening.
    ignore_changes = [min_capacity, max_capacity]
  }

  tags = var.tags
}

# The schedule, not the connection metric, brings the service up: target tracking does nothing
# while its metric has no data, and at zero tasks nobody emits ActiveConnections.
resource "aws_appautoscaling_scheduled_action" "scale_out" {
  name               = "${var.name}-active-window-start"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension
  schedule           = var.scale_out_cron
  timezone           = var.timezone

  scalable_target_action {
    min_capacity = 1
    max_capacity = var.max_tasks
  }
}

resource "aws_appautoscaling_scheduled_action" "scale_in" {
  name               = "${var.name}-active-window-end"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension
  schedule           = var.scale_in_cron
  timezone           = var.timezone

  scalable_target_action {
    min_capacity = 0
    max_capacity = 0
  }

  # Application Auto Scaling rejects concurrent changes to one target.
  depends_on = [aws_appautoscaling_scheduled_action.scale_out]
}

# Inside the window only: every task emits ActiveConnections each minute, so the Average is
# connections per task. With max_tasks = 1 the window pins the service at one task and the
# policy could never act, so it is not created (target tracking bills two alarms of its own).
resource "aws_appautoscaling_policy" "active_connections" {
  count              = var.max_tasks > 1 ? 1 : 0
  name               = "${var.name}-active-connections"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.connections_per_task
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    customized_metric_specification {
      namespace   = local.metric_namespace
      metric_name = "ActiveConnections"
      statistic   = "Average"
      unit        = "Count"

      dimensions {
        name  = "service"
        value = local.metric_service
      }
    }
  }
}

# --- IAM -----------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Used by the ECS agent: pull the image, write logs, resolve the secrets at task start.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid = "EcrAuth"
    # GetAuthorizationToken has no resource-level permission.
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.service.arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service.arn}:*"]
  }
  statement {
    sid       = "Secrets"
    actions   = ["ssm:GetParameters"]
    resources = local.secret_arns
  }
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# Used by the server itself: only the settings table. Metrics leave as EMF log lines, the
# key arrives as an injected secret, so no CloudWatch or SSM permission is needed.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "SettingsTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [module.settings_table.arn]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "settings-table"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
