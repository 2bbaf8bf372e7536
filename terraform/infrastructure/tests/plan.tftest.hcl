# Plans the whole spoke against a mocked AWS provider (no credentials, no network):
# variable validations, conditionals and for_each/count expressions are evaluated for real.
# Run: terraform -chdir=terraform/infrastructure test   (scripts/terraform-check.sh does)

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-central-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_route53_zone" {
    defaults = { name = "example.io." }
  }
  mock_data "aws_lambda_function_url" {
    defaults = { function_url = "https://abcdefghij.lambda-url.eu-central-1.on.aws/" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_apigatewayv2_api" {
    defaults = { execution_arn = "arn:aws:execute-api:eu-central-1:123456789012:abc123" }
  }
  mock_data "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-central-1:123456789012:function:jessica-prod-x"
      invoke_arn = "arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:jessica-prod-x/invocations"
    }
  }
  mock_data "aws_ec2_managed_prefix_list" {
    defaults = { id = "pl-cloudfront" }
  }
}

variables {
  vpc_id                     = "vpc-0123456789abcdef0"
  public_subnet_ids          = ["subnet-a", "subnet-b"]
  private_subnet_ids         = ["subnet-c", "subnet-d"]
  http_api_id                = "abc123"
  api_domain_name            = "api.example.io"
  vpc_link_id                = "vl-123"
  vpc_link_security_group_id = "sg-vpclink"
  cloud_map_namespace_id     = "ns-123"
  hosted_zone_id             = "Z123"
  site_domain_name           = "jessica.example.io"
  site_certificate_arn       = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
  github_oidc_provider_arn   = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  github_repository          = "example-org/jessica"
}

run "default_design" {
  command = plan

  assert {
    condition     = length(module.service.websocket_origin.vpc_origin_id == null ? [1] : []) == 1
    error_message = "The default WebSocket path goes to the task's origin record, not an ALB."
  }
  assert {
    condition     = module.service.websocket_origin.domain_name == "jessica-origin.example.io"
    error_message = "The origin record defaults to <name>-origin.<zone>."
  }
  assert {
    condition     = local.site_routes[0].path_pattern == "/jessica/ws" && local.site_routes[2].path_pattern == "/jessica/*"
    error_message = "CloudFront must match /jessica/ws before /jessica/*."
  }
  assert {
    condition     = local.site_routes[1].domain_name == "abcdefghij.lambda-url.eu-central-1.on.aws"
    error_message = "The stream origin is the function URL's host."
  }
  assert {
    condition     = aws_apigatewayv2_route.jessica.route_key == "ANY /jessica/{proxy+}"
    error_message = "One switched route carries REST and MCP."
  }
  assert {
    condition     = aws_scheduler_schedule.switch_to_lambda.schedule_expression == "cron(55 19 ? * MON-FRI *)"
    error_message = "The route moves to Lambda before scale-in."
  }
  assert {
    condition     = length(aws_scheduler_schedule.alarm_window) == 3
    error_message = "The no-healthy-task alarm is switched by three schedules."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.origin_record_failed) == 1 && aws_cloudwatch_metric_alarm.origin_record_failed[0].metric_name == "ExecutionsFailed" && aws_cloudwatch_metric_alarm.origin_record_failed[0].namespace == "AWS/States"
    error_message = "A failed origin-record execution (after its retries) alarms."
  }
  assert {
    condition     = length([for statement in data.aws_iam_policy_document.deploy.statement : statement.sid if anytrue([for action in statement.actions : startswith(action, "apigateway:")])]) == 0
    error_message = "The deploy role manages no API Gateway: the stack has no API of its own and the hub's is Terraform's."
  }
}

run "alb_design" {
  command = plan

  variables {
    egress     = "nat_gateway"
    ws_ingress = "alb"
    enable_waf = true
  }

  assert {
    condition     = module.service.websocket_origin.http_port == 80
    error_message = "With the ALB, CloudFront reaches port 80 of the internal ALB."
  }
}

run "several_tasks_with_valkey_pubsub" {
  command = plan

  variables {
    pubsub    = "valkey_serverless"
    max_tasks = 3
  }

  assert {
    condition     = module.service.pubsub == "valkey_serverless"
    error_message = "The root passes pubsub to the service module, which then accepts max_tasks > 1."
  }
}
