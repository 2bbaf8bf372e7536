# Jessica's spoke of a hub-and-spoke setup. It has no provider block on purpose: a central
# infrastructure repository calls this directory as a module (see
# ../examples/central-infrastructure/services/jessica/main.tf) and passes its providers; run on
# its own, Terraform configures the AWS provider from the environment (AWS_REGION, AWS_PROFILE).

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
