variable "name" {
  description = "Service name: prefix of the resources and of the Lambda functions (serverless.yml service)."
  type        = string
  default     = "jessica"
}

variable "stage" {
  description = "Stage of the serverless.yml deployment; its functions are <name>-<stage>-http, -stream and -switch."
  type        = string
  default     = "prod"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = { app = "jessica" }
}

# --- what the hub owns ------------------------------------------------------------------------------

variable "vpc_id" {
  description = "Hub VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Hub public subnets (task placement with egress = \"public_ip\")."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Hub private subnets (task placement behind a NAT; internal ALB)."
  type        = list(string)
  default     = []
}

variable "http_api_id" {
  description = "The hub's shared HTTP API."
  type        = string
}

variable "http_api_stage" {
  description = "Stage of the shared HTTP API (metrics dimension)."
  type        = string
  default     = "$default"
}

variable "api_domain_name" {
  description = "Custom domain of the shared HTTP API, mapped at the root (e.g. api.example.io). CloudFront forwards /jessica/* there."
  type        = string
}

variable "vpc_link_id" {
  description = "The hub's VPC link (v2) of the shared HTTP API."
  type        = string
}

variable "vpc_link_security_group_id" {
  description = "Security group of that VPC link."
  type        = string
}

variable "cloud_map_namespace_id" {
  description = "The hub's private DNS namespace (Cloud Map) for VPC-link targets."
  type        = string
}

variable "hosted_zone_id" {
  description = "Public Route 53 zone of the hub's domain."
  type        = string
}

variable "site_domain_name" {
  description = "Host of the page, REST and WebSocket in the browser (e.g. jessica.example.io)."
  type        = string
}

variable "site_certificate_arn" {
  description = "ACM certificate in us-east-1 covering site_domain_name (the hub owns the domain and its certificates)."
  type        = string
}

variable "origin_record_name" {
  description = "DNS name that follows the running task (ws_ingress = \"cloudfront\"). Null: <name>-origin.<zone>."
  type        = string
  default     = null
}

variable "cloudfront_web_acl_arn" {
  description = "Optional WAF web ACL (scope CLOUDFRONT, us-east-1) for the distribution. Null (default): no WAF."
  type        = string
  default     = null
}

variable "github_oidc_provider_arn" {
  description = "The account's IAM OIDC provider for token.actions.githubusercontent.com (one per account; the hub creates it)."
  type        = string
}

# --- design choices -------------------------------------------------------------------------------------

variable "egress" {
  description = "Task egress: public_ip (default, cheapest), nat_gateway or nat_instance. See modules/service."
  type        = string
  default     = "public_ip"
}

variable "ws_ingress" {
  description = "WebSocket ingress: cloudfront (default, $0) or alb (~$16.4/month). See modules/service."
  type        = string
  default     = "cloudfront"
}

variable "enable_waf" {
  description = "WAF on the ALB (ws_ingress = \"alb\" only). For CloudFront pass cloudfront_web_acl_arn."
  type        = bool
  default     = false
}

# --- application -----------------------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the task definition revision Terraform registers (the deploy workflow registers per-commit revisions)."
  type        = string
  default     = "bootstrap"
}

variable "elevenlabs_api_key_parameter_name" {
  description = "SSM SecureString with the ElevenLabs key. Null: /<name>/<stage>/elevenlabs-api-key. Created outside Terraform so the key never lands in state."
  type        = string
  default     = null
}

variable "tokens_parameter_name" {
  description = "SSM SecureString with JESSICA_TOKENS. Null: /<name>/<stage>/tokens."
  type        = string
  default     = null
}

variable "pubsub" {
  description = "Shared live channel of the tasks: none (default; max_tasks must stay 1), valkey_serverless (an ElastiCache Serverless for Valkey cache, ~$6.1/month) or external (pubsub_parameter_name). See modules/service."
  type        = string
  default     = "none"
}

variable "pubsub_parameter_name" {
  description = "With pubsub = \"external\": SSM SecureString with JESSICA_PUBSUB (redis[s]:// URL of your own Redis or Valkey)."
  type        = string
  default     = null
}

variable "log_level" {
  description = "LOG_LEVEL of the server."
  type        = string
  default     = "info"
}

variable "max_tasks" {
  description = "Upper bound of target tracking inside the active window. Above 1 needs pubsub (listeners live in one task's memory otherwise)."
  type        = number
  default     = 1
}

variable "jwt_authorizer" {
  description = "Optional JWT authorizer on the /jessica/{proxy+} route ({issuer, audience}). Null (default): the server's own bearer tokens (JESSICA_TOKENS) are the only check."
  type = object({
    issuer   = string
    audience = list(string)
  })
  default = null
}

# --- schedule (one time zone for all) ----------------------------------------------------------------------

variable "timezone" {
  description = "IANA time zone of every schedule."
  type        = string
  default     = "Europe/Berlin"
}

variable "scale_out_cron" {
  description = "Active window start: one task."
  type        = string
  default     = "cron(0 8 ? * MON-FRI *)"
}

variable "scale_in_cron" {
  description = "Active window end: zero tasks."
  type        = string
  default     = "cron(0 20 ? * MON-FRI *)"
}

variable "switch_to_lambda_cron" {
  description = "Route switch to Lambda, a few minutes BEFORE scale_in_cron so no request meets a draining task."
  type        = string
  default     = "cron(55 19 ? * MON-FRI *)"
}

variable "switch_to_fargate_cron" {
  description = "Route switch to Fargate after scale_out_cron (the function switches only once a task is healthy; ECS events retry it)."
  type        = string
  default     = "cron(5 8 ? * MON-FRI *)"
}

variable "healthy_task_check_cron" {
  description = "When the no-healthy-task alarm starts watching (after a task had time to start); it stops at switch_to_lambda_cron."
  type        = string
  default     = "cron(15 8 ? * MON-FRI *)"
}

# --- alerts --------------------------------------------------------------------------------------------------

variable "alarm_emails" {
  description = "E-mail addresses for alarms and the budget alert."
  type        = list(string)
  default     = []
}

variable "monthly_budget_usd" {
  description = "AWS Budgets monthly cost limit; alerts at 80 % actual and 100 % forecast."
  type        = number
  default     = 15
}

# --- deploy ----------------------------------------------------------------------------------------------------

variable "github_repository" {
  description = "owner/name of the repository whose deploy workflow may assume the deploy role."
  type        = string
}

variable "github_environment" {
  description = "GitHub environment of the deploy job (the role trusts only this environment)."
  type        = string
  default     = "production"
}
