# Plans the hub with Jessica's spoke against mocked AWS providers (no credentials, no network).
# Run: terraform -chdir=terraform/examples/central-infrastructure test

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-central-1a", "eu-central-1b", "eu-central-1c"] }
  }
  mock_data "aws_route53_zone" {
    defaults = { name = "example.io.", zone_id = "Z123" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-central-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
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
  mock_data "aws_lambda_function_url" {
    defaults = { function_url = "https://abcdefghij.lambda-url.eu-central-1.on.aws/" }
  }
}

mock_provider "aws" {
  alias = "us_east_1"
}

override_resource {
  target = aws_acm_certificate.api
  values = {
    domain_validation_options = [{ domain_name = "api.example.io", resource_record_name = "_a.api.example.io.", resource_record_type = "CNAME", resource_record_value = "_a.acm-validations.aws." }]
  }
}

override_resource {
  target = aws_acm_certificate.site
  values = {
    domain_validation_options = [{ domain_name = "jessica.example.io", resource_record_name = "_b.jessica.example.io.", resource_record_type = "CNAME", resource_record_value = "_b.acm-validations.aws." }]
  }
}

override_resource {
  target = aws_acm_certificate_validation.site
  values = { certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/site" }
}

run "hub_without_nat" {
  command = plan

  assert {
    condition     = length(aws_nat_gateway.hub) == 0
    error_message = "The default hub creates no NAT gateway."
  }
  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "Two AZs of public and private subnets."
  }
}

run "hub_with_nat_gateway" {
  command = plan

  variables {
    egress                = "nat_gateway"
    enable_cloudfront_waf = true
  }

  assert {
    condition     = length(aws_nat_gateway.hub) == 1 && length(aws_wafv2_web_acl.cloudfront) == 1
    error_message = "egress = nat_gateway makes the hub create a NAT gateway."
  }
}
