variable "domain_name" {
  description = "Host name of the page, e.g. jessica.example.io."
  type        = string
}

variable "hosted_zone_id" {
  description = "Route 53 zone that holds domain_name (alias records A and AAAA are created there)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 covering domain_name (CloudFront only reads certificates from us-east-1)."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:acm:us-east-1:", var.certificate_arn))
    error_message = "CloudFront needs an ACM certificate from us-east-1."
  }
}

variable "bucket_name" {
  description = "Bucket for web/dist. Null: a unique name with the prefix \"jessica-site-\"."
  type        = string
  default     = null
}

variable "routes" {
  description = <<-EOT
    Extra cache behaviours in precedence order, each to its own origin, never cached, e.g. the
    WebSocket path to the task and /jessica/* to the HTTP API. forward_host_header = false for
    origins that route on their own host name (API Gateway, Lambda function URLs).
  EOT
  type = list(object({
    path_pattern           = string
    origin_id              = string
    domain_name            = string
    origin_protocol_policy = optional(string, "https-only")
    http_port              = optional(number, 80)
    https_port             = optional(number, 443)
    vpc_origin_id          = optional(string)
    forward_host_header    = optional(bool, false)
    read_timeout           = optional(number, 30)
  }))
  default = []
}

variable "page_config" {
  description = "Content of config.json beside index.html: where the page finds the API, the WebSocket and the health check (web/src/config.ts). The deploy workflow's upload leaves this file alone."
  type        = any
  default     = {}
}

variable "connect_sources" {
  description = "Extra sources for the page's Content-Security-Policy connect-src (besides 'self' and wss://domain_name)."
  type        = list(string)
  default     = []
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "web_acl_arn" {
  description = "Optional AWS WAF (scope CLOUDFRONT, created in us-east-1) web ACL ARN. Null: no WAF (~$6/month saved)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "immutable_path_patterns" {
  description = "Paths of the content-hashed files scripts/build-web.mjs writes (app.<hash>.js, styles.<hash>.css): served with Cache-Control \"public, max-age=31536000, immutable\"; everything else of the page gets \"no-cache\"."
  type        = list(string)
  default     = ["/app.*.js", "/styles.*.css"]
}
