# The per-principal settings table, shared by the Fargate service, the Lambda handlers and a
# developer's local server (JESSICA_SETTINGS=dynamodb:<table>). One item per principal; the
# numeric `version` attribute carries optimistic concurrency (conditional writes), so it is not
# a key and needs no declaration here. Encryption at rest uses the AWS owned key (no KMS charge).

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "name" {
  description = "Table name."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse DeleteTable while true (turn off for throw-away development tables)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}

resource "aws_dynamodb_table" "settings" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "principal"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "principal"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = var.tags
}

output "name" {
  description = "Table name (JESSICA_SETTINGS=dynamodb:<name>)."
  value       = aws_dynamodb_table.settings.name
}

output "arn" {
  description = "Table ARN, for IAM policies."
  value       = aws_dynamodb_table.settings.arn
}
