# Alarms, dashboard and the budget alert. The app's metrics: namespace Jessica, one dimension
# service=jessica (each extra dimension value is a billed metric series), and only the two that
# an alarm or the scaling policy reads: ActiveConnections and UpstreamErrors. Every other figure
# is a `measure` log line (utterances, characters, time to first audio, cache hits, dropped
# listeners, route switches), which the dashboard aggregates with Logs Insights.

locals {
  metric_namespace  = "Jessica"
  metric_dimensions = { service = "jessica" }
  api_dimensions    = { ApiId = var.http_api_id, Stage = var.http_api_stage }
  region            = data.aws_region.current.name
  # Where the measure lines are: the task's log group and the functions'.
  measure_sources = join(" | ", [for group in concat([module.service.log_group_name], [for name in values(local.lambda_function_names) : "/aws/lambda/${name}"]) : "SOURCE '${group}'"])
}

resource "aws_sns_topic" "alarms" {
  name = "${var.name}-${var.stage}-alarms"
  tags = var.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
  statement {
    sid       = "Budgets"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

# --- alarms ---------------------------------------------------------------------------------------------

# 5xx of the shared API's stage (all services on it; enable detailed route metrics in the hub
# to narrow it to ANY /jessica/{proxy+}).
resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name}-${var.stage}-api-5xx"
  alarm_description   = "HTTP API answered 5xx (gateway, VPC link or backend) at least 5 times in 5 minutes"
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = local.api_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.name}-${var.stage}-lambda-errors"
  alarm_description   = "The off-hours HTTP function failed at least 5 times in 5 minutes"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = local.lambda_function_names.http }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "upstream_errors" {
  alarm_name          = "${var.name}-${var.stage}-upstream-errors"
  alarm_description   = "ElevenLabs calls failed (after retries) at least 5 times in 5 minutes"
  namespace           = local.metric_namespace
  metric_name         = "UpstreamErrors"
  dimensions          = local.metric_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# The origin-record workflow retries every AWS call; an execution fails only when one still
# fails afterwards, and then the WebSocket origin may not follow the running task (or, after a
# lookup failure, points at the placeholder while a task runs).
resource "aws_cloudwatch_metric_alarm" "origin_record_failed" {
  count               = var.ws_ingress == "cloudfront" ? 1 : 0
  alarm_name          = "${var.name}-${var.stage}-origin-record-failed"
  alarm_description   = "The workflow that points the WebSocket origin record at the running task failed after its retries"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = module.service.origin_record_state_machine_arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# Every running task emits ActiveConnections once a minute, so its SampleCount is the number
# of live tasks. Missing data is breaching: at zero tasks nothing is emitted. At night that is
# expected, so the schedules below switch the alarm's actions on only inside the window.
resource "aws_cloudwatch_metric_alarm" "no_healthy_task" {
  alarm_name          = "${var.name}-${var.stage}-no-healthy-task"
  alarm_description   = "No Jessica task has reported for 5 minutes during active hours"
  namespace           = local.metric_namespace
  metric_name         = "ActiveConnections"
  dimensions          = local.metric_dimensions
  statistic           = "SampleCount"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  actions_enabled     = false
  tags                = var.tags

  lifecycle {
    # The schedules own this flag.
    ignore_changes = [actions_enabled]
  }
}

resource "aws_iam_role_policy" "scheduler_alarm_window" {
  name = "no-healthy-task-window"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["cloudwatch:EnableAlarmActions", "cloudwatch:DisableAlarmActions", "cloudwatch:SetAlarmState"]
      Resource = aws_cloudwatch_metric_alarm.no_healthy_task.arn
    }]
  })
}

# The alarm sits in ALARM all night. Enabling its actions alone would not notify (no state
# change), so: enable early in the window, then reset it to OK once a task had time to start;
# if none reports, the next evaluation flips it to ALARM and notifies.
locals {
  alarm_window = {
    enable = {
      cron   = var.switch_to_fargate_cron
      action = "enableAlarmActions"
      input  = { AlarmNames = [aws_cloudwatch_metric_alarm.no_healthy_task.alarm_name] }
    }
    reset = {
      cron   = var.healthy_task_check_cron
      action = "setAlarmState"
      input = {
        AlarmName   = aws_cloudwatch_metric_alarm.no_healthy_task.alarm_name
        StateValue  = "OK"
        StateReason = "Active window: expecting a healthy task from now on"
      }
    }
    disable = {
      cron   = var.switch_to_lambda_cron
      action = "disableAlarmActions"
      input  = { AlarmNames = [aws_cloudwatch_metric_alarm.no_healthy_task.alarm_name] }
    }
  }
}

resource "aws_scheduler_schedule" "alarm_window" {
  for_each                     = local.alarm_window
  name                         = "${var.name}-${var.stage}-no-healthy-task-${each.key}"
  schedule_expression          = each.value.cron
  schedule_expression_timezone = var.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    # Scheduler's universal target: calls the CloudWatch API directly.
    arn      = "arn:${data.aws_partition.current.partition}:scheduler:::aws-sdk:cloudwatch:${each.value.action}"
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode(each.value.input)
  }
}

# --- dashboard ------------------------------------------------------------------------------------------------

locals {
  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "Gateway: requests and errors (shared HTTP API)"
        region = local.region
        stat   = "Sum"
        period = 300
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiId", var.http_api_id, "Stage", var.http_api_stage],
          ["AWS/ApiGateway", "4xx", "ApiId", var.http_api_id, "Stage", var.http_api_stage],
          ["AWS/ApiGateway", "5xx", "ApiId", var.http_api_id, "Stage", var.http_api_stage],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "Gateway: latency"
        region = local.region
        period = 300
        metrics = [
          ["AWS/ApiGateway", "Latency", "ApiId", var.http_api_id, "Stage", var.http_api_stage, { stat = "p50" }],
          ["AWS/ApiGateway", "Latency", "ApiId", var.http_api_id, "Stage", var.http_api_stage, { stat = "p90" }],
          ["AWS/ApiGateway", "IntegrationLatency", "ApiId", var.http_api_id, "Stage", var.http_api_stage, { stat = "p90" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 8, height = 6
      properties = {
        title   = "WebSocket connections (all tasks)"
        region  = local.region
        stat    = "Sum"
        period  = 60
        metrics = [[local.metric_namespace, "ActiveConnections", "service", "jessica"]]
      }
    },
    {
      type = "log", x = 8, y = 6, width = 8, height = 6
      properties = {
        title  = "Time to first audio (ms, from the measure log lines)"
        region = local.region
        view   = "timeSeries"
        query  = "${local.measure_sources} | filter message = 'measure' and measure = 'TimeToFirstAudio' | stats pct(value, 50) as p50, pct(value, 90) as p90, pct(value, 99) as p99 by bin(5m)"
      }
    },
    {
      type = "log", x = 16, y = 6, width = 8, height = 6
      properties = {
        title  = "Utterances and characters (from the measure log lines)"
        region = local.region
        view   = "timeSeries"
        # One Characters line per utterance: the count is the utterances.
        query = "${local.measure_sources} | filter message = 'measure' and measure = 'Characters' | stats count(*) as utterances, sum(value) as characters by bin(5m)"
      }
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title   = "Upstream errors (after retries)"
        region  = local.region
        stat    = "Sum"
        period  = 300
        metrics = [[local.metric_namespace, "UpstreamErrors", "service", "jessica"]]
      }
    },
    {
      type = "log", x = 12, y = 18, width = 12, height = 6
      properties = {
        title  = "Cache hits, dropped listeners, route switches (from the measure log lines)"
        region = local.region
        view   = "table"
        query  = "${local.measure_sources} | filter message = 'measure' and measure in ['Utterances', 'CacheHits', 'DroppedListeners', 'RouteSwitches'] | stats sum(value) as total by measure"
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title  = "Off-hours Lambda (http)"
        region = local.region
        period = 300
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.lambda_function_names.http, { stat = "Sum" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.lambda_function_names.http, { stat = "Sum" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.lambda_function_names.http, { stat = "p90", yAxis = "right" }],
        ]
      }
    },
    {
      type = "alarm", x = 12, y = 12, width = 12, height = 6
      properties = {
        title = "Alarms"
        alarms = concat([
          aws_cloudwatch_metric_alarm.api_5xx.arn,
          aws_cloudwatch_metric_alarm.lambda_errors.arn,
          aws_cloudwatch_metric_alarm.upstream_errors.arn,
          aws_cloudwatch_metric_alarm.no_healthy_task.arn,
        ], aws_cloudwatch_metric_alarm.origin_record_failed[*].arn)
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "jessica" {
  dashboard_name = "${var.name}-${var.stage}"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}

# --- budget -----------------------------------------------------------------------------------------------------

# Account-wide on purpose: cost allocation tags must be activated before a tag filter sees
# anything, and the account is expected to carry little besides Jessica and its hub.
resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-${var.stage}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_sns_topic_arns  = [aws_sns_topic.alarms.arn]
    subscriber_email_addresses = var.alarm_emails
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_sns_topic_arns  = [aws_sns_topic.alarms.arn]
    subscriber_email_addresses = var.alarm_emails
  }

  tags = var.tags
}
