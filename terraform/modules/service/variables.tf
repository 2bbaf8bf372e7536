# Inputs of the Jessica service module. The hub (central infrastructure) owns the VPC, the
# shared HTTP API with its VPC link, the Cloud Map namespace and the DNS zone; this module
# plugs into them through the variables below.

variable "name" {
  description = "Service name: prefix of every resource (ECR repository, cluster, service, roles, log group)."
  type        = string
  default     = "jessica"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# --- networking (from the hub) ----------------------------------------------------------------

variable "vpc_id" {
  description = "VPC of the hub."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (route to an internet gateway). The task runs here when egress = \"public_ip\"."
  type        = list(string)
  default     = []
}

variable "private_subnet_ids" {
  description = "Private subnets. The task runs here when egress routes through a NAT; the internal ALB (ws_ingress = \"alb\") always lives here."
  type        = list(string)
  default     = []
}

variable "egress" {
  description = <<-EOT
    How the task reaches ElevenLabs, ECR, SSM and CloudWatch:
    "public_ip"   - public subnet + auto-assigned public IPv4 ($0.005/h while a task runs). The
                    security group admits nothing from the internet, so the task stays unreachable
                    except through the VPC link / CloudFront / ALB. Cheapest; the default.
    "nat_gateway" - private subnet behind the hub's NAT gateway (~$36.5/month per AZ, 24/7).
    "nat_instance"- private subnet behind a hub NAT instance such as fck-nat (~$7.4/month).
  EOT
  type        = string
  default     = "public_ip"

  validation {
    condition     = contains(["public_ip", "nat_gateway", "nat_instance"], var.egress)
    error_message = "egress must be one of public_ip, nat_gateway, nat_instance."
  }
}

variable "ws_ingress" {
  description = <<-EOT
    How browsers reach /jessica/ws (an HTTP API cannot carry WebSockets):
    "cloudfront" - CloudFront sends /jessica/ws straight to the task's public IP on port 9020,
                   found through a DNS record kept current on every task start (no load balancer,
                   $0). Needs egress = "public_ip". The CloudFront-to-task hop is plain HTTP.
    "alb"        - an internal ALB reached by CloudFront through a VPC origin (private, ~$16.4/month
                   24/7 + LCU). The HTTP API then also targets the ALB listener instead of Cloud Map.
  EOT
  type        = string
  default     = "cloudfront"

  validation {
    condition     = contains(["cloudfront", "alb"], var.ws_ingress)
    error_message = "ws_ingress must be cloudfront or alb."
  }
  validation {
    condition     = var.ws_ingress != "cloudfront" || var.egress == "public_ip"
    error_message = "ws_ingress = \"cloudfront\" reaches the task on its public IP, so it needs egress = \"public_ip\"; use ws_ingress = \"alb\" with a NAT."
  }
  validation {
    condition     = var.ws_ingress != "cloudfront" || (var.origin_zone_id != null && var.origin_record_name != null)
    error_message = "ws_ingress = \"cloudfront\" needs origin_zone_id and origin_record_name."
  }
  validation {
    condition     = var.ws_ingress != "alb" || length(var.private_subnet_ids) >= 2
    error_message = "ws_ingress = \"alb\" needs at least two private_subnet_ids for the internal ALB."
  }
}

variable "vpc_link_security_group_id" {
  description = "Security group of the hub's HTTP API VPC link; the only source, besides CloudFront or the ALB, admitted on the container port."
  type        = string
}

variable "cloud_map_namespace_id" {
  description = "Private DNS namespace (Cloud Map) of the hub; the service registers SRV records there for the HTTP API VPC link. Unused when ws_ingress = \"alb\"."
  type        = string
  default     = null
}

variable "origin_zone_id" {
  description = "Public Route 53 zone that holds the task's origin record (ws_ingress = \"cloudfront\")."
  type        = string
  default     = null
}

variable "origin_record_name" {
  description = "Fully qualified name of the record that points at the running task's public IP, e.g. jessica-origin.example.io (ws_ingress = \"cloudfront\")."
  type        = string
  default     = null
}

# --- container ----------------------------------------------------------------------------------

variable "image_tag" {
  description = "Image tag of the task definition Terraform registers. The deploy workflow registers later revisions with the commit SHA; the service keeps whichever revision the last deploy set."
  type        = string
  default     = "bootstrap"
}

variable "cpu" {
  description = "Task CPU units (512 = 0.5 vCPU)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 1024
}

variable "container_port" {
  description = "Port the server listens on (PORT)."
  type        = number
  default     = 9020
}

variable "root_path" {
  description = "ROOT_PATH: prefix of every route."
  type        = string
  default     = "/jessica"
}

variable "elevenlabs_api_key_parameter_arn" {
  description = "ARN of the SSM SecureString holding the ElevenLabs key; injected as ELEVENLABS_API_KEY."
  type        = string
}

variable "tokens_parameter_arn" {
  description = "ARN of the SSM SecureString holding JESSICA_TOKENS (name:token[,name:token...])."
  type        = string
}

variable "pubsub_parameter_arn" {
  description = "With pubsub = \"external\": ARN of an SSM SecureString holding JESSICA_PUBSUB (redis[s]://[user:password@]host:port of a Redis or Valkey you run yourself), injected as a secret."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the SSM parameters, if any (the AWS managed aws/ssm key needs no grant)."
  type        = string
  default     = null
}

variable "elevenlabs_base_url" {
  description = "ELEVENLABS_BASE_URL (data-residency hosts)."
  type        = string
  default     = "https://api.elevenlabs.io"
}

variable "allowed_origins" {
  description = "JESSICA_ALLOWED_ORIGINS: origins of the page (the CloudFront site)."
  type        = list(string)
}

variable "public_url" {
  description = "JESSICA_PUBLIC_URL: where users open the page."
  type        = string
}

variable "allowed_hosts" {
  description = "More Host names the task answers to (JESSICA_ALLOWED_HOSTS, DNS-rebinding protection), e.g. the HTTP API's custom domain. The hosts of public_url and allowed_origins, the internal ALB's name, IP literals and the loopback names are always served."
  type        = list(string)
  default     = []
}

variable "log_level" {
  description = "LOG_LEVEL."
  type        = string
  default     = "info"
}

variable "drain_timeout_ms" {
  description = "JESSICA_DRAIN_TIMEOUT_MS. The container stop timeout is this plus 10 s: the server takes up to 5 s more to close its sockets (Fargate allows at most 120 s)."
  type        = number
  default     = 25000

  validation {
    condition     = var.drain_timeout_ms >= 0 && var.drain_timeout_ms <= 110000
    error_message = "drain_timeout_ms must leave room for the 120 s Fargate stop timeout (0..110000)."
  }
}

variable "extra_environment" {
  description = "More plain environment variables for the container."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the container logs."
  type        = number
  default     = 7
}

# --- schedule and scaling -----------------------------------------------------------------------

variable "timezone" {
  description = "IANA time zone of every schedule."
  type        = string
  default     = "Europe/Berlin"
}

variable "scale_out_cron" {
  description = "Start of the active window (6-field AWS cron): at least one task from here on."
  type        = string
  default     = "cron(0 8 ? * MON-FRI *)"
}

variable "scale_in_cron" {
  description = "End of the active window: zero tasks from here on."
  type        = string
  default     = "cron(0 20 ? * MON-FRI *)"
}

variable "max_tasks" {
  description = "Upper bound of target tracking inside the active window. Above 1 needs pubsub != \"none\": without the shared channel a page's listeners live in one task's memory, so a /speak (or a stop, a settings change) that lands on another task would not reach them, and every task would apply JESSICA_UPSTREAM_CONCURRENCY on its own."
  type        = number
  default     = 1

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks <= 10
    error_message = "max_tasks must be between 1 and 10."
  }
  validation {
    condition     = var.max_tasks == 1 || var.pubsub != "none"
    error_message = "max_tasks > 1 needs pubsub = \"valkey_serverless\" (or \"external\"): listeners live in one task's memory, so without a shared channel a /speak on one task cannot reach a page connected to another."
  }
}

variable "connections_per_task" {
  description = "Target tracking: average ActiveConnections per task."
  type        = number
  default     = 50
}

# --- shared live channel (several tasks) ------------------------------------------------------

variable "pubsub" {
  description = <<-EOT
    The channel tasks share listeners, speech, stop, settings and the upstream limit through
    (JESSICA_PUBSUB, fargate/pubsub/README.md):
    "none"              - no channel; listeners live in the one task's memory, so max_tasks
                          must stay 1. The default; $0.
    "valkey_serverless" - an ElastiCache Serverless for Valkey cache in the task subnets, reached
                          over TLS on 6379 from the task's security group only
                          (~$6.1/month 24/7: 100 MB minimum storage; ECPUs are cents).
    "external"          - a Redis or Valkey you run; its URL comes from pubsub_parameter_arn.
  EOT
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "valkey_serverless", "external"], var.pubsub)
    error_message = "pubsub must be one of none, valkey_serverless, external."
  }
  validation {
    condition     = (var.pubsub == "external") == (var.pubsub_parameter_arn != null)
    error_message = "pubsub = \"external\" needs pubsub_parameter_arn (the SSM parameter with JESSICA_PUBSUB), and pubsub_parameter_arn is read only with pubsub = \"external\"."
  }
}

variable "valkey_major_engine_version" {
  description = "Valkey major version of the serverless cache (pubsub = \"valkey_serverless\")."
  type        = string
  default     = "8"
}

variable "valkey_max_data_storage_gb" {
  description = "Usage limit of the serverless cache's data storage in GB. The live channel keeps a few KB (presence, leases, registrations), billed at the 100 MB minimum; the limit caps what a runaway could cost (1 GB 24/7 is ~$61/month)."
  type        = number
  default     = 1

  validation {
    condition     = var.valkey_max_data_storage_gb >= 1 && var.valkey_max_data_storage_gb <= 5000 && floor(var.valkey_max_data_storage_gb) == var.valkey_max_data_storage_gb
    error_message = "valkey_max_data_storage_gb must be a whole number of GB from 1 to 5000."
  }
}

variable "valkey_max_ecpu_per_second" {
  description = "Usage limit of the serverless cache's ECPUs per second (about 1 ECPU per KB moved per command). Each utterance's audio crosses the cache once in and once per listening task out, so 5000/s is ~5 MB/s moved through the cache: dozens of concurrent utterances. Past the limit the cache throttles instead of billing more (5000/s around the clock would be ~$30/month)."
  type        = number
  default     = 5000

  validation {
    condition     = var.valkey_max_ecpu_per_second >= 1000 && var.valkey_max_ecpu_per_second <= 15000000
    error_message = "valkey_max_ecpu_per_second must be between 1000 and 15000000."
  }
}

# --- stores -------------------------------------------------------------------------------------

variable "settings_table_name" {
  description = "DynamoDB settings table name."
  type        = string
  default     = "jessica-settings"
}

# --- optional WAF on the load balancer ------------------------------------------------------------

variable "enable_waf" {
  description = "Attach an AWS WAF web ACL (AWS managed common rule set + rate limit) to the ALB. Only with ws_ingress = \"alb\"; ~$5/ACL + $1/rule per month + $0.60/M requests."
  type        = bool
  default     = false
}
