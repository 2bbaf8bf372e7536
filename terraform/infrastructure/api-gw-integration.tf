# How requests reach Jessica. Four AWS facts shape it (aws-notes §0):
#
# 1. An HTTP API cannot carry a WebSocket. /jessica/ws therefore never touches API Gateway: the
#    browser opens wss://<site>/jessica/ws on CloudFront, which forwards the upgrade to the task
#    (module.service websocket_origin; route "live" below).
# 2. A WebSocket API cannot share a custom domain with HTTP APIs. Not needed: one CloudFront
#    host serves the page, /jessica/* (-> the shared HTTP API) and /jessica/ws (-> the task).
# 3. An HTTP API cannot fail over between integrations. One route, ANY /jessica/{proxy+}, points
#    at either the Fargate or the Lambda integration; the switch function moves it with
#    UpdateRoute on the schedules below (before scale-in, after scale-out) and on ECS events
#    (EventBridge rules declared with the function in serverless.yml), so Terraform must not
#    own its target (ignore_changes below).
# 4. The NAT gateway: not used by default (module.service egress = "public_ip").

locals {
  lambda_function_names = {
    http   = "${var.name}-${var.stage}-http"
    stream = "${var.name}-${var.stage}-stream"
    switch = "${var.name}-${var.stage}-switch"
  }

  # CloudFront behaviours in precedence order (modules/static-site "routes").
  site_routes = [
    # The route that really carries WebSockets: CloudFront forwards the upgrade and all viewer
    # headers (Sec-WebSocket-*, ?token=) to the task.
    {
      path_pattern           = "${local.root_path}/ws"
      origin_id              = "live"
      domain_name            = module.service.websocket_origin.domain_name
      origin_protocol_policy = "http-only"
      http_port              = module.service.websocket_origin.http_port
      vpc_origin_id          = module.service.websocket_origin.vpc_origin_id
      forward_host_header    = true
      read_timeout           = 60
    },
    # Chunked audio as it arrives: the HTTP API would buffer it, the function URL streams.
    {
      path_pattern = "${local.root_path}/api/v1/tts/stream"
      origin_id    = "stream"
      domain_name  = trimsuffix(trimprefix(data.aws_lambda_function_url.stream.function_url, "https://"), "/")
      read_timeout = 60
    },
    # Everything else under /jessica: the shared HTTP API, which routes to Fargate or Lambda.
    {
      path_pattern = "${local.root_path}/*"
      origin_id    = "api"
      domain_name  = var.api_domain_name
    },
  ]
}

# --- the functions serverless.yml deployed -------------------------------------------------------------

data "aws_apigatewayv2_api" "hub" {
  api_id = var.http_api_id
}

data "aws_lambda_function" "http" {
  function_name = local.lambda_function_names.http
}

data "aws_lambda_function" "switch" {
  function_name = local.lambda_function_names.switch
}

data "aws_lambda_function_url" "stream" {
  function_name = local.lambda_function_names.stream
}

# --- integrations and the switched route -----------------------------------------------------------------

# Daytime: HTTP API -> VPC link -> Cloud Map SRV record (or the internal ALB) -> task.
resource "aws_apigatewayv2_integration" "fargate" {
  api_id                 = var.http_api_id
  description            = "Jessica on Fargate (active hours)"
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  connection_type        = "VPC_LINK"
  connection_id          = var.vpc_link_id
  integration_uri        = module.service.integration_uri
  payload_format_version = "1.0"
  timeout_milliseconds   = 30000

  # Private integrations may prefix the stage; send the path exactly as the client did
  # (/jessica/..., which ROOT_PATH expects).
  request_parameters = {
    "overwrite:path" = "$request.path"
  }
}

# Off-hours: the buffered payload-2.0 handler for REST and /mcp.
resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = var.http_api_id
  description            = "Jessica on Lambda (off-hours)"
  integration_type       = "AWS_PROXY"
  integration_uri        = data.aws_lambda_function.http.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count            = var.jwt_authorizer == null ? 0 : 1
  api_id           = var.http_api_id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_authorizer.issuer
    audience = var.jwt_authorizer.audience
  }
}

resource "aws_apigatewayv2_route" "jessica" {
  api_id    = var.http_api_id
  route_key = "ANY ${local.root_path}/{proxy+}"
  # Created on Lambda (the service starts at zero tasks); from then on the switch function
  # owns the target.
  target             = "integrations/${aws_apigatewayv2_integration.lambda.id}"
  authorization_type = var.jwt_authorizer == null ? "NONE" : "JWT"
  authorizer_id      = var.jwt_authorizer == null ? null : aws_apigatewayv2_authorizer.jwt[0].id

  lifecycle {
    # Without this every apply would undo the switch.
    ignore_changes = [target]
  }
}

resource "aws_lambda_permission" "http_from_api" {
  statement_id  = "${var.name}-shared-http-api"
  action        = "lambda:InvokeFunction"
  function_name = data.aws_lambda_function.http.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${data.aws_apigatewayv2_api.hub.execution_arn}/*/*${local.root_path}/{proxy+}"
}

# --- when the switch runs --------------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-${var.stage}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler_invoke_switch" {
  name = "invoke-switch"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = [data.aws_lambda_function.switch.arn, "${data.aws_lambda_function.switch.arn}:*"]
    }]
  })
}

# Before scale-in: move the route to Lambda while the task still answers, so no request meets
# a draining task.
resource "aws_scheduler_schedule" "switch_to_lambda" {
  name                         = "${var.name}-${var.stage}-switch-to-lambda"
  description                  = "Route /jessica/{proxy+} to Lambda before the active window ends"
  schedule_expression          = var.switch_to_lambda_cron
  schedule_expression_timezone = var.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = data.aws_lambda_function.switch.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ action = "to-lambda" })

    retry_policy {
      maximum_event_age_in_seconds = 240
      maximum_retry_attempts       = 5
    }
  }
}

# After scale-out: "auto" follows the service - the function moves the route to Fargate only
# once a task is healthy; until then the ECS events (serverless.yml) re-run it as tasks start.
resource "aws_scheduler_schedule" "switch_to_fargate" {
  name                         = "${var.name}-${var.stage}-switch-to-fargate"
  description                  = "Route /jessica/{proxy+} to Fargate once a task is healthy"
  schedule_expression          = var.switch_to_fargate_cron
  schedule_expression_timezone = var.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = data.aws_lambda_function.switch.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ action = "auto" })

    retry_policy {
      maximum_event_age_in_seconds = 600
      maximum_retry_attempts       = 5
    }
  }
}
