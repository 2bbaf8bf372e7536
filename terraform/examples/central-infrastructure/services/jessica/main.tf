# services/jessica/main.tf of the central infrastructure repository: Jessica's spoke. It pins a
# release of the Jessica repository and feeds it the hub's shared pieces; everything
# Jessica-specific (ECS service, schedule, routes on the shared API, page, alarms, deploy role)
# comes from there. The provider is inherited from the hub (no provider block in the spoke).

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "hub" {
  description = "Shared pieces owned by the hub."
  type = object({
    vpc_id                     = string
    public_subnet_ids          = list(string)
    private_subnet_ids         = list(string)
    http_api_id                = string
    api_domain_name            = string
    vpc_link_id                = string
    vpc_link_security_group_id = string
    cloud_map_namespace_id     = string
    hosted_zone_id             = string
    github_oidc_provider_arn   = string
    cloudfront_web_acl_arn     = optional(string)
  })
}

variable "site_domain_name" {
  description = "Host of Jessica's page (and REST/WebSocket paths)."
  type        = string
}

variable "site_certificate_arn" {
  description = "us-east-1 certificate for site_domain_name."
  type        = string
}

variable "github_repository" {
  description = "Jessica's repository (owner/name)."
  type        = string
}

variable "egress" {
  description = "Task egress (public_ip | nat_gateway | nat_instance)."
  type        = string
  default     = "public_ip"
}

variable "alarm_emails" {
  description = "Alarm and budget recipients."
  type        = list(string)
  default     = []
}

module "jessica" {
  # In the central repository this is a pinned release of the Jessica repository:
  #   source = "git::https://github.com/example-org/jessica.git//terraform/infrastructure?ref=v0.1.0"
  source = "../../../../infrastructure"

  stage = "prod"

  vpc_id                     = var.hub.vpc_id
  public_subnet_ids          = var.hub.public_subnet_ids
  private_subnet_ids         = var.hub.private_subnet_ids
  http_api_id                = var.hub.http_api_id
  api_domain_name            = var.hub.api_domain_name
  vpc_link_id                = var.hub.vpc_link_id
  vpc_link_security_group_id = var.hub.vpc_link_security_group_id
  cloud_map_namespace_id     = var.hub.cloud_map_namespace_id
  hosted_zone_id             = var.hub.hosted_zone_id
  github_oidc_provider_arn   = var.hub.github_oidc_provider_arn
  cloudfront_web_acl_arn     = var.hub.cloudfront_web_acl_arn

  site_domain_name     = var.site_domain_name
  site_certificate_arn = var.site_certificate_arn
  github_repository    = var.github_repository
  alarm_emails         = var.alarm_emails

  # Cheapest egress that keeps the task unreachable from the internet; WebSockets through
  # CloudFront straight to the task. The ALB alternative: ws_ingress = "alb" (+~$16.4/month).
  egress     = var.egress
  ws_ingress = var.egress == "public_ip" ? "cloudfront" : "alb"

  # Monday-Friday 08:00-20:00 Europe/Berlin, zero tasks outside (the module's defaults, spelled
  # out because this is the knob a team turns most).
  timezone       = "Europe/Berlin"
  scale_out_cron = "cron(0 8 ? * MON-FRI *)"
  scale_in_cron  = "cron(0 20 ? * MON-FRI *)"

  # One task (listeners live in its memory). More than ~50 open WebSockets: let target tracking
  # add tasks, sharing the live channel through an ElastiCache Serverless for Valkey cache
  # (+~$6.1/month 24/7, plus ~$0.025 per hour an extra task runs):
  #   pubsub    = "valkey_serverless"
  #   max_tasks = 3
}

output "site_url" {
  description = "Jessica's page."
  value       = module.jessica.site_url
}

output "websocket_url" {
  description = "Jessica's live channel."
  value       = module.jessica.websocket_url
}

output "mcp_url" {
  description = "Jessica's MCP endpoint."
  value       = module.jessica.mcp_url
}

output "github_actions_variables" {
  description = "Set these as variables of the production environment in Jessica's repository."
  value       = module.jessica.github_actions_variables
}
