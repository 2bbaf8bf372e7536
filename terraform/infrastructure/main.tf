# Jessica on AWS: the Fargate service (live path, active hours), the page on S3 + CloudFront,
# the shared HTTP API's routes (api-gw-integration.tf), alarms, budget (monitoring.tf) and the
# GitHub deploy role (github-oidc.tf). The Lambda functions come from serverless.yml.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_route53_zone" "hub" {
  zone_id = var.hosted_zone_id
}

locals {
  parameter_arn_prefix = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter"
  parameter_names = {
    api_key = coalesce(var.elevenlabs_api_key_parameter_name, "/${var.name}/${var.stage}/elevenlabs-api-key")
    tokens  = coalesce(var.tokens_parameter_name, "/${var.name}/${var.stage}/tokens")
  }
  parameter_arns = { for key, name in local.parameter_names : key => "${local.parameter_arn_prefix}/${trimprefix(name, "/")}" }

  root_path          = "/jessica"
  site_origin        = "https://${var.site_domain_name}"
  origin_record_name = coalesce(var.origin_record_name, "${var.name}-origin.${trimsuffix(data.aws_route53_zone.hub.name, ".")}")
}

module "service" {
  source = "../modules/service"

  name = var.name
  tags = var.tags

  vpc_id                     = var.vpc_id
  public_subnet_ids          = var.public_subnet_ids
  private_subnet_ids         = var.private_subnet_ids
  egress                     = var.egress
  ws_ingress                 = var.ws_ingress
  vpc_link_security_group_id = var.vpc_link_security_group_id
  cloud_map_namespace_id     = var.cloud_map_namespace_id
  origin_zone_id             = var.hosted_zone_id
  origin_record_name         = local.origin_record_name
  enable_waf                 = var.enable_waf

  image_tag                        = var.image_tag
  root_path                        = local.root_path
  elevenlabs_api_key_parameter_arn = local.parameter_arns.api_key
  tokens_parameter_arn             = local.parameter_arns.tokens
  pubsub                           = var.pubsub
  pubsub_parameter_arn             = var.pubsub_parameter_name == null ? null : "${local.parameter_arn_prefix}/${trimprefix(var.pubsub_parameter_name, "/")}"
  allowed_origins                  = [local.site_origin]
  public_url                       = "${local.site_origin}/"
  allowed_hosts                    = [var.api_domain_name]
  log_level                        = var.log_level

  timezone       = var.timezone
  scale_out_cron = var.scale_out_cron
  scale_in_cron  = var.scale_in_cron
  max_tasks      = var.max_tasks

  settings_table_name = "${var.name}-${var.stage}-settings"
}

module "site" {
  source = "../modules/static-site"

  domain_name     = var.site_domain_name
  hosted_zone_id  = var.hosted_zone_id
  certificate_arn = var.site_certificate_arn
  web_acl_arn     = var.cloudfront_web_acl_arn
  routes          = local.site_routes
  tags            = var.tags

  # The page lives at the site root, the API under /jessica: relative defaults would miss it.
  page_config = {
    apiBase      = "${local.root_path}/api/v1"
    wsUrl        = "${local.root_path}/ws"
    healthUrl    = "${local.root_path}/health"
    requiresAuth = true
  }
}
