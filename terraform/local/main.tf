# Local development. `npm start` needs none of this: it serves everything on
# http://127.0.0.1:9020 and keeps settings in ~/.config/jessica/settings.json. This root is for
# a developer who wants the local server on the same settings store as AWS: it creates a
# throw-away DynamoDB table (no API gateway, no ECS, no CloudFront) and prints how to start
# against it. Keep the ElevenLabs key in your shell (ELEVENLABS_API_KEY), not in Terraform state.
#
#   terraform -chdir=terraform/local init && terraform -chdir=terraform/local apply
#   eval "$(terraform -chdir=terraform/local output -raw env)" && npm start

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
  description = "Region of the development table."
  type        = string
  default     = "eu-central-1"
}

variable "table_name" {
  description = "Name of the development settings table."
  type        = string
  default     = "jessica-local-settings"
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { app = "jessica", env = "local" }
  }
}

module "settings_table" {
  source              = "../modules/settings-table"
  name                = var.table_name
  deletion_protection = false
}

output "env" {
  description = "Shell exports for `npm start` against the development table."
  value       = "export AWS_REGION=${var.region} JESSICA_SETTINGS=dynamodb:${module.settings_table.name}"
}
