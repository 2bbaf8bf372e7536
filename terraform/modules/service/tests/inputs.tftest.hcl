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
