# Example: the central infrastructure repository of a hub-and-spoke setup. The hub owns what
# many services share - the VPC, the HTTP API with its custom domain and VPC link, the Cloud
# Map namespace, the DNS zone and certificates, the GitHub OIDC provider - and plugs each
# service in from services/<name>/main.tf. Jessica's spoke is services/jessica/main.tf.
#
# Cost of the hub parts Jessica relies on (us-east-1 list prices, docs/costs.md): VPC, subnets,
# IGW, HTTP API, VPC link, certificates: $0 standing charge; Route 53: $0.50/zone-month (the
# public zone and the Cloud Map namespace's private zone); a NAT gateway only with
# egress = "nat_gateway" (~$36.5/month).

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "region" {
  description = "Hub region."
  type        = string
  default     = "eu-central-1"
}

variable "domain_name" {
  description = "The organisation's public zone (already in Route 53)."
  type        = string
  default     = "example.io"
}

variable "github_repository" {
  description = "Jessica's repository (owner/name), trusted by its deploy role."
  type        = string
  default     = "example-org/jessica"
}

variable "egress" {
  description = "Jessica's egress: public_ip (default) needs no NAT; nat_gateway makes the hub create one."
  type        = string
  default     = "public_ip"
}

variable "enable_cloudfront_waf" {
  description = "Create a WAF web ACL for CloudFront distributions (~$5 + $1/rule per month + $0.60/M requests)."
  type        = bool
  default     = false
}

variable "alarm_emails" {
  description = "Where alarms and budget alerts go."
  type        = list(string)
  default     = []
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { managed-by = "central-infrastructure" }
  }
}

# CloudFront reads certificates and WAF web ACLs from us-east-1 only.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = { managed-by = "central-infrastructure" }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_route53_zone" "main" {
  name = var.domain_name
}

locals {
  azs       = slice(data.aws_availability_zones.available.names, 0, 2)
  vpc_cidr  = "10.40.0.0/16"
  api_host  = "api.${var.domain_name}"
  site_host = "jessica.${var.domain_name}"
}

# --- VPC: public subnets for IP-egress tasks, private subnets for NAT-egress tasks and ALBs ------------

resource "aws_vpc" "hub" {
  cidr_block           = local.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "hub" }
}

resource "aws_internet_gateway" "hub" {
  vpc_id = aws_vpc.hub.id
  tags   = { Name = "hub" }
}

resource "aws_subnet" "public" {
  count             = length(local.azs)
  vpc_id            = aws_vpc.hub.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(local.vpc_cidr, 8, count.index)
  # Tasks get a public IP only when their service asks for one (assign_public_ip).
  map_public_ip_on_launch = false
  tags                    = { Name = "hub-public-${local.azs[count.index]}" }
}

resource "aws_subnet" "private" {
  count             = length(local.azs)
  vpc_id            = aws_vpc.hub.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(local.vpc_cidr, 8, 10 + count.index)
  tags              = { Name = "hub-private-${local.azs[count.index]}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.hub.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.hub.id
  }
  tags = { Name = "hub-public" }
}

resource "aws_route_table_association" "public" {
  count          = length(aws_subnet.public)
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  count  = var.egress == "nat_gateway" ? 1 : 0
  domain = "vpc"
}

resource "aws_nat_gateway" "hub" {
  count         = var.egress == "nat_gateway" ? 1 : 0
  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = { Name = "hub" }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.hub.id

  dynamic "route" {
    for_each = aws_nat_gateway.hub
    content {
      cidr_block     = "0.0.0.0/0"
      nat_gateway_id = route.value.id
    }
  }

  tags = { Name = "hub-private" }
}

resource "aws_route_table_association" "private" {
  count          = length(aws_subnet.private)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# --- the shared HTTP API on api.<domain> -------------------------------------------------------------------

resource "aws_apigatewayv2_api" "shared" {
  name          = "hub"
  protocol_type = "HTTP"
  description   = "Shared HTTP API; services add their own routes"
  # Clients use the custom domain only.
  disable_execute_api_endpoint = true
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.shared.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }
}

resource "aws_acm_certificate" "api" {
  domain_name       = local.api_host
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_acm_certificate" "site" {
  provider          = aws.us_east_1
  domain_name       = local.site_host
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

# One DNS validation record per single-name certificate (static keys: known at plan time).
resource "aws_route53_record" "validation" {
  for_each        = { api = aws_acm_certificate.api, site = aws_acm_certificate.site }
  zone_id         = data.aws_route53_zone.main.zone_id
  name            = one(each.value.domain_validation_options).resource_record_name
  type            = one(each.value.domain_validation_options).resource_record_type
  records         = [one(each.value.domain_validation_options).resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "api" {
  certificate_arn         = aws_acm_certificate.api.arn
  validation_record_fqdns = [aws_route53_record.validation["api"].fqdn]
}

resource "aws_acm_certificate_validation" "site" {
  provider                = aws.us_east_1
  certificate_arn         = aws_acm_certificate.site.arn
  validation_record_fqdns = [aws_route53_record.validation["site"].fqdn]
}

resource "aws_apigatewayv2_domain_name" "api" {
  domain_name = local.api_host

  domain_name_configuration {
    certificate_arn = aws_acm_certificate_validation.api.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

# Mapped at the root: services own their path prefixes (/jessica/...), and the backends see
# the full path.
resource "aws_apigatewayv2_api_mapping" "api" {
  api_id      = aws_apigatewayv2_api.shared.id
  domain_name = aws_apigatewayv2_domain_name.api.id
  stage       = aws_apigatewayv2_stage.default.id
}

resource "aws_route53_record" "api" {
  zone_id = data.aws_route53_zone.main.zone_id
  name    = local.api_host
  type    = "A"

  alias {
    name                   = aws_apigatewayv2_domain_name.api.domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.api.domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}

# --- VPC link (v2) and Cloud Map namespace for private integrations -----------------------------------------

resource "aws_security_group" "vpc_link" {
  name_prefix = "hub-vpc-link-"
  description = "HTTP API VPC link: reaches service targets inside the VPC"
  vpc_id      = aws_vpc.hub.id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "vpc_link" {
  security_group_id = aws_security_group.vpc_link.id
  description       = "Service targets in the VPC"
  cidr_ipv4         = local.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 65535
}

resource "aws_apigatewayv2_vpc_link" "hub" {
  name               = "hub"
  security_group_ids = [aws_security_group.vpc_link.id]
  subnet_ids         = aws_subnet.private[*].id
}

resource "aws_service_discovery_private_dns_namespace" "hub" {
  name        = "hub.internal"
  description = "Service discovery for HTTP API private integrations"
  vpc         = aws_vpc.hub.id
}

# --- account-wide: GitHub OIDC, optional CloudFront WAF -------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_wafv2_web_acl" "cloudfront" {
  count       = var.enable_cloudfront_waf ? 1 : 0
  provider    = aws.us_east_1
  name        = "hub-cloudfront"
  description = "AWS managed common rules and a per-client rate limit for CloudFront"
  scope       = "CLOUDFRONT"

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

        # Jessica's synthesis bodies (up to 20 000 characters) exceed the 8 KB body rule.
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
      metric_name                = "hub-cloudfront-aws-common"
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
        limit              = 1000
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "hub-cloudfront-rate-limit"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "hub-cloudfront"
    sampled_requests_enabled   = false
  }
}

# --- spokes -------------------------------------------------------------------------------------------------

module "jessica" {
  source = "./services/jessica"

  hub = {
    vpc_id                     = aws_vpc.hub.id
    public_subnet_ids          = aws_subnet.public[*].id
    private_subnet_ids         = aws_subnet.private[*].id
    http_api_id                = aws_apigatewayv2_api.shared.id
    api_domain_name            = aws_apigatewayv2_domain_name.api.domain_name
    vpc_link_id                = aws_apigatewayv2_vpc_link.hub.id
    vpc_link_security_group_id = aws_security_group.vpc_link.id
    cloud_map_namespace_id     = aws_service_discovery_private_dns_namespace.hub.id
    hosted_zone_id             = data.aws_route53_zone.main.zone_id
    github_oidc_provider_arn   = aws_iam_openid_connect_provider.github.arn
    cloudfront_web_acl_arn     = one(aws_wafv2_web_acl.cloudfront[*].arn)
  }

  site_domain_name     = local.site_host
  site_certificate_arn = aws_acm_certificate_validation.site.certificate_arn
  github_repository    = var.github_repository
  egress               = var.egress
  alarm_emails         = var.alarm_emails
}

output "jessica" {
  description = "Jessica's URLs and the variables for its deploy workflow."
  value       = module.jessica
}
