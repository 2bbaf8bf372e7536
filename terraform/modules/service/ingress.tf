# How /jessica/ws reaches the task. An HTTP API cannot carry a WebSocket (aws-notes §0.1), so
# the browser's socket goes through CloudFront, which can (aws-notes §E):
#
#   ws_ingress = "cloudfront" (default, $0): CloudFront -> http://<origin_record_name>:9020 ->
#     the task's public IP. A Fargate task gets a new IP on every start, so an EventBridge rule
#     on ECS task state changes runs a small Step Functions workflow (AWS SDK integrations only,
#     no code to package) that points the record at the task once it is HEALTHY and, when that
#     task stops, hands the record to another healthy task of the service (several tasks,
#     pubsub) or parks it on a placeholder address. The record is never deleted: resolvers
#     cache "no such name" for the zone's negative TTL (Route 53's SOA: 900 s), which would keep
#     /jessica/ws failing for up to 15 minutes after a task is back; a record that always exists
#     is cached for its own 60 s TTL only. The task's security group admits only CloudFront's
#     origin-facing prefix list (and the VPC link). The CloudFront-to-task hop is plain HTTP.
#
#   ws_ingress = "alb" (~$16.4/month + LCU): an internal ALB in private subnets, reached by
#     CloudFront through a VPC origin (private path) and by the HTTP API through the VPC link.

locals {
  use_origin_record = !local.use_alb
  # Route 53 stores names lower-case and without the trailing dot; the IAM condition compares
  # against that normalised form.
  origin_record_name = var.origin_record_name == null ? null : lower(trimsuffix(var.origin_record_name, "."))
  # The origin record without its value; the workflow's changes add the task IP.
  origin_record_set = {
    Name = local.origin_record_name
    Type = "A"
    TTL  = 60
  }
  # Where the record points while no task is healthy: TEST-NET-1 (RFC 5737), an address never
  # assigned to anyone, so neither a released task IP that AWS hands to another account nor a
  # missing name (cached for the zone's negative TTL) is ever served.
  origin_placeholder_ip = "192.0.2.1"

  # Every Task retries throttling and transient errors with jittered exponential backoff
  # (1, 2, 4, 8, 16 s: well inside the Express workflow's 5 minutes). A change batch that Route 53
  # rejects as inconsistent is the compare-and-set saying "this task does not hold the record":
  # final, and expected.
  origin_record_retry = [
    { ErrorEquals = ["Route53.InvalidChangeBatchException"], MaxAttempts = 0 },
    { ErrorEquals = ["States.ALL"], IntervalSeconds = 1, BackoffRate = 2, MaxAttempts = 5, MaxDelaySeconds = 16, JitterStrategy = "FULL" },
  ]
  # After the retries: a lookup that still fails parks the record (never a stale IP) and then
  # fails the execution; a change that still fails fails it at once. Failed executions alarm
  # (terraform/infrastructure/monitoring.tf).
  origin_record_catch_lookup = [{ ErrorEquals = ["States.ALL"], Output = "{% $merge([$states.input, {'failed': true}]) %}", Next = "ParkIfCurrent" }]
  origin_record_catch_change = [
    { ErrorEquals = ["Route53.InvalidChangeBatchException"], Output = "{% $states.input %}", Next = "AfterChange" },
    { ErrorEquals = ["States.ALL"], Next = "Failed" },
  ]

  # RUNNING and HEALTHY -> UPSERT the A record to the task's public IP: the newest healthy task
  # takes new WebSockets (a RUNNING task whose health check has not passed yet changes nothing;
  # ECS sends another event when it turns HEALTHY). Stopping -> if another healthy task of the
  # service runs, swap the record to that task's IP (DELETE this IP + CREATE the other in one
  # change batch), else park it (DELETE this IP + CREATE the placeholder). Route 53 rejects a
  # DELETE whose values differ and applies a batch all or nothing, so both are compare-and-set:
  # a task that does not hold the record changes nothing (rolling deployments, the repeated
  # events of one stop, a retried change that had already been applied). Without the hand-over,
  # scaling in the task that holds the record would leave the others without a WebSocket origin
  # until the next task start.
  origin_record_states = {
    Classify = {
      Type = "Choice"
      Choices = [
        { Condition = "{% $count($states.input.detail.attachments[type='eni'].details[name='networkInterfaceId']) = 0 %}", Next = "Done" },
        { Condition = "{% $states.input.detail.desiredStatus = 'RUNNING' and $states.input.detail.lastStatus = 'RUNNING' and $states.input.detail.healthStatus = 'HEALTHY' %}", Next = "DescribeTaskInterface" },
        { Condition = "{% $states.input.detail.desiredStatus != 'RUNNING' or $states.input.detail.lastStatus != 'RUNNING' %}", Next = "DescribeTaskInterface" },
      ]
      # RUNNING, not (yet) HEALTHY.
      Default = "Done"
    }
    DescribeTaskInterface = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:ec2:describeNetworkInterfaces"
      Arguments = {
        NetworkInterfaceIds = "{% $append([], $states.input.detail.attachments[type='eni'].details[name='networkInterfaceId'].value) %}"
      }
      Output = {
        ip      = "{% $exists($states.result.NetworkInterfaces[0].Association.PublicIp) ? $states.result.NetworkInterfaces[0].Association.PublicIp : '' %}"
        running = "{% $states.input.detail.desiredStatus = 'RUNNING' and $states.input.detail.lastStatus = 'RUNNING' %}"
        task    = "{% $states.input.detail.taskArn %}"
      }
      Retry = local.origin_record_retry
      Catch = [{ ErrorEquals = ["States.ALL"], Next = "Failed" }]
      Next  = "Route"
    }
    Route = {
      Type = "Choice"
      Choices = [
        { Condition = "{% $states.input.ip = '' %}", Next = "Done" },
        { Condition = "{% $states.input.running %}", Next = "Upsert" },
      ]
      Default = "ListOtherTasks"
    }
    Upsert = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:route53:changeResourceRecordSets"
      Arguments = {
        HostedZoneId = var.origin_zone_id
        ChangeBatch = {
          Changes = [{
            Action            = "UPSERT"
            ResourceRecordSet = merge(local.origin_record_set, { ResourceRecords = [{ Value = "{% $states.input.ip %}" }] })
          }]
        }
      }
      Retry = local.origin_record_retry
      Catch = [{ ErrorEquals = ["States.ALL"], Next = "Failed" }]
      End   = true
    }
    ListOtherTasks = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:ecs:listTasks"
      Arguments = {
        Cluster       = aws_ecs_cluster.service.arn
        ServiceName   = var.name
        DesiredStatus = "RUNNING"
      }
      Output = {
        ip     = "{% $states.input.ip %}"
        others = "{% $append([], $states.result.TaskArns[$ != $states.input.task]) %}"
      }
      Retry = local.origin_record_retry
      Catch = local.origin_record_catch_lookup
      Next  = "AnyOtherTask"
    }
    AnyOtherTask = {
      Type    = "Choice"
      Choices = [{ Condition = "{% $count($states.input.others) > 0 %}", Next = "DescribeOtherTasks" }]
      Default = "ParkIfCurrent"
    }
    DescribeOtherTasks = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:ecs:describeTasks"
      Arguments = {
        Cluster = aws_ecs_cluster.service.arn
        Tasks   = "{% $states.input.others %}"
      }
      # Only a task that already passes its health check may take the record.
      Output = {
        ip  = "{% $states.input.ip %}"
        eni = "{% ($eni := ($states.result.Tasks[LastStatus='RUNNING' and HealthStatus='HEALTHY'].Attachments[Type='ElasticNetworkInterface'].Details[Name='networkInterfaceId'].Value)[0]; $exists($eni) ? $eni : '') %}"
      }
      Retry = local.origin_record_retry
      Catch = local.origin_record_catch_lookup
      Next  = "AnyHealthyTask"
    }
    AnyHealthyTask = {
      Type    = "Choice"
      Choices = [{ Condition = "{% $states.input.eni != '' %}", Next = "DescribeOtherInterface" }]
      Default = "ParkIfCurrent"
    }
    DescribeOtherInterface = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:ec2:describeNetworkInterfaces"
      Arguments = {
        NetworkInterfaceIds = "{% [$states.input.eni] %}"
      }
      Output = {
        ip    = "{% $states.input.ip %}"
        other = "{% $exists($states.result.NetworkInterfaces[0].Association.PublicIp) ? $states.result.NetworkInterfaces[0].Association.PublicIp : '' %}"
      }
      Retry = local.origin_record_retry
      Catch = local.origin_record_catch_lookup
      Next  = "CanHandOver"
    }
    CanHandOver = {
      Type    = "Choice"
      Choices = [{ Condition = "{% $states.input.other != '' and $states.input.other != $states.input.ip %}", Next = "HandOver" }]
      Default = "ParkIfCurrent"
    }
    HandOver = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:route53:changeResourceRecordSets"
      Arguments = {
        HostedZoneId = var.origin_zone_id
        ChangeBatch = {
          Changes = [
            {
              Action            = "DELETE"
              ResourceRecordSet = merge(local.origin_record_set, { ResourceRecords = [{ Value = "{% $states.input.ip %}" }] })
            },
            {
              Action            = "CREATE"
              ResourceRecordSet = merge(local.origin_record_set, { ResourceRecords = [{ Value = "{% $states.input.other %}" }] })
            },
          ]
        }
      }
      Output = "{% $states.input %}"
      Retry  = local.origin_record_retry
      Catch  = local.origin_record_catch_change
      Next   = "AfterChange"
    }
    ParkIfCurrent = {
      Type     = "Task"
      Resource = "arn:${data.aws_partition.current.partition}:states:::aws-sdk:route53:changeResourceRecordSets"
      Arguments = {
        HostedZoneId = var.origin_zone_id
        ChangeBatch = {
          Changes = [
            {
              Action            = "DELETE"
              ResourceRecordSet = merge(local.origin_record_set, { ResourceRecords = [{ Value = "{% $states.input.ip %}" }] })
            },
            {
              Action            = "CREATE"
              ResourceRecordSet = merge(local.origin_record_set, { ResourceRecords = [{ Value = local.origin_placeholder_ip }] })
            },
          ]
        }
      }
      Output = "{% $states.input %}"
      Retry  = local.origin_record_retry
      Catch  = local.origin_record_catch_change
      Next   = "AfterChange"
    }
    AfterChange = {
      Type    = "Choice"
      Choices = [{ Condition = "{% $exists($states.input.failed) and $states.input.failed %}", Next = "Failed" }]
      Default = "Done"
    }
    Failed = {
      Type  = "Fail"
      Error = "OriginRecordNotUpdated"
      Cause = "An AWS call still failed after its retries; the origin record may not follow the running task."
    }
    Done = { Type = "Succeed" }
  }
}

# The record exists from the first apply on (at the placeholder); the workflow owns its value.
# allow_overwrite adopts a record an earlier version of the workflow created.
resource "aws_route53_record" "origin" {
  count           = local.use_origin_record ? 1 : 0
  zone_id         = var.origin_zone_id
  name            = local.origin_record_name
  type            = "A"
  ttl             = local.origin_record_set.TTL
  records         = [local.origin_placeholder_ip]
  allow_overwrite = true

  lifecycle {
    ignore_changes = [records]
  }
}

# --- "cloudfront": origin record that follows the running task ------------------------------------

resource "aws_cloudwatch_event_rule" "task_state" {
  count       = local.use_origin_record ? 1 : 0
  name        = "${var.name}-origin-record"
  description = "Keeps ${coalesce(local.origin_record_name, "-")} pointing at the running ${var.name} task"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [aws_ecs_cluster.service.arn]
      group      = ["service:${var.name}"]
      # The ENI (and its public IP) exists from RUNNING until the task has stopped.
      lastStatus = ["RUNNING", "DEACTIVATING", "STOPPING"]
    }
  })
  tags = var.tags
}

resource "aws_sfn_state_machine" "origin_record" {
  count    = local.use_origin_record ? 1 : 0
  name     = "${var.name}-origin-record"
  type     = "EXPRESS"
  role_arn = aws_iam_role.origin_record[0].arn

  definition = jsonencode({
    Comment       = "Point ${local.origin_record_name} at a healthy ${var.name} task"
    QueryLanguage = "JSONata"
    StartAt       = "Classify"
    States        = local.origin_record_states
  })

  tags = var.tags
}

data "aws_iam_policy_document" "states_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "origin_record" {
  count              = local.use_origin_record ? 1 : 0
  name               = "${var.name}-origin-record"
  assume_role_policy = data.aws_iam_policy_document.states_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "origin_record" {
  count = local.use_origin_record ? 1 : 0

  statement {
    sid = "ReadTaskInterface"
    # Describe* calls have no resource-level permissions.
    actions   = ["ec2:DescribeNetworkInterfaces"]
    resources = ["*"]
  }
  # The hand-over looks for another running task of this service (cluster-scoped).
  statement {
    sid       = "ListServiceTasks"
    actions   = ["ecs:ListTasks"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.service.arn]
    }
  }
  statement {
    sid       = "DescribeServiceTasks"
    actions   = ["ecs:DescribeTasks"]
    resources = ["${replace(aws_ecs_cluster.service.arn, ":cluster/", ":task/")}/*"]
  }
  statement {
    sid       = "WriteOriginRecord"
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = ["arn:${data.aws_partition.current.partition}:route53:::hostedzone/${var.origin_zone_id}"]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
      values   = [local.origin_record_name]
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "route53:ChangeResourceRecordSetsRecordTypes"
      values   = ["A"]
    }
  }
}

resource "aws_iam_role_policy" "origin_record" {
  count  = local.use_origin_record ? 1 : 0
  name   = "origin-record"
  role   = aws_iam_role.origin_record[0].id
  policy = data.aws_iam_policy_document.origin_record[0].json
}

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "origin_record_events" {
  count              = local.use_origin_record ? 1 : 0
  name               = "${var.name}-origin-record-events"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "origin_record_events" {
  count = local.use_origin_record ? 1 : 0
  name  = "start-origin-record"
  role  = aws_iam_role.origin_record_events[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = aws_sfn_state_machine.origin_record[0].arn
    }]
  })
}

resource "aws_cloudwatch_event_target" "origin_record" {
  count    = local.use_origin_record ? 1 : 0
  rule     = aws_cloudwatch_event_rule.task_state[0].name
  arn      = aws_sfn_state_machine.origin_record[0].arn
  role_arn = aws_iam_role.origin_record_events[0].arn
}

# --- "alb": internal ALB behind a CloudFront VPC origin ------------------------------------------------

resource "aws_security_group" "alb" {
  count       = local.use_alb ? 1 : 0
  name_prefix = "${var.name}-alb-"
  description = "Internal ALB: HTTP from CloudFront (VPC origin) and the HTTP API VPC link only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

# CloudFront VPC-origin traffic stays inside the VPC; the ALB is internal, so admitting the
# origin-facing prefix list does not expose it to the internet.
resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudfront" {
  count             = local.use_alb ? 1 : 0
  security_group_id = aws_security_group.alb[0].id
  description       = "CloudFront VPC origin"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_vpc_link" {
  count                        = local.use_alb ? 1 : 0
  security_group_id            = aws_security_group.alb[0].id
  description                  = "HTTP API VPC link"
  referenced_security_group_id = var.vpc_link_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_task" {
  count                        = local.use_alb ? 1 : 0
  security_group_id            = aws_security_group.alb[0].id
  description                  = "Jessica tasks"
  referenced_security_group_id = aws_security_group.task.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_lb" "service" {
  count                      = local.use_alb ? 1 : 0
  name                       = var.name
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb[0].id]
  subnets                    = var.private_subnet_ids
  drop_invalid_header_fields = true
  # Above the server's 30 s WebSocket ping interval.
  idle_timeout = 120
  tags         = var.tags
}

resource "aws_lb_target_group" "service" {
  count                = local.use_alb ? 1 : 0
  name                 = var.name
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.container_port
  deregistration_delay = local.stop_timeout

  health_check {
    path                = "${var.root_path}/health"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  count             = local.use_alb ? 1 : 0
  load_balancer_arn = aws_lb.service[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[0].arn
  }

  tags = var.tags
}

resource "aws_cloudfront_vpc_origin" "alb" {
  count = local.use_alb ? 1 : 0

  vpc_origin_endpoint_config {
    name                   = "${var.name}-alb"
    arn                    = aws_lb.service[0].arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = "http-only"

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }

  tags = var.tags
}

# --- optional WAF on the ALB ----------------------------------------------------------------------------

resource "aws_wafv2_web_acl" "alb" {
  count       = local.use_alb && var.enable_waf ? 1 : 0
  name        = "${var.name}-alb"
  description = "Jessica ALB: AWS managed common rules and a per-client rate limit"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        # Synthesis bodies carry up to 20 000 characters; the 8 KB body rule would block them.
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-alb-aws-common"
      sampled_requests_enabled   = false
    }
  }

  rule {
    name     = "rate-limit"
    priority = 2

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit = 1000
        # Behind CloudFront the peer is an edge server; limit the viewer instead.
        aggregate_key_type = "FORWARDED_IP"
        forwarded_ip_config {
          header_name       = "X-Forwarded-For"
          fallback_behavior = "MATCH"
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-alb-rate-limit"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-alb"
    sampled_requests_enabled   = false
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "alb" {
  count        = local.use_alb && var.enable_waf ? 1 : 0
  resource_arn = aws_lb.service[0].arn
  web_acl_arn  = aws_wafv2_web_acl.alb[0].arn
}
