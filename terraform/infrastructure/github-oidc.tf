# The role .github/workflows/deploy.yml assumes through GitHub's OIDC provider: no stored AWS
# keys. It trusts one repository's one environment and can do what a deploy does, no more:
# push the image, roll the service to a new task definition revision, deploy the serverless.yml
# stack, upload the page and invalidate CloudFront.

locals {
  deploy_stack_name = "${var.name}-${var.stage}"
  arn_prefix        = "arn:${data.aws_partition.current.partition}"
  account_region    = "${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:environment:${var.github_environment}"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-${var.stage}-github-deploy"
  description          = "GitHub Actions deploy of ${var.github_repository} (${var.github_environment})"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "deploy" {
  # --- image -----------------------------------------------------------------------------------
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
      "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [module.service.ecr_repository_arn]
  }

  # --- service rollout -----------------------------------------------------------------------------
  statement {
    sid = "TaskDefinitions"
    # Task-definition registration and lookup are not resource-scoped.
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }
  statement {
    sid       = "Service"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = [module.service.service_arn]
  }
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [module.service.task_role_arn, module.service.execution_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  # --- page ------------------------------------------------------------------------------------------
  statement {
    sid       = "SiteBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.site.bucket_arn]
  }
  statement {
    sid       = "SiteObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.site.bucket_arn}/*"]
  }
  statement {
    sid       = "Invalidate"
    actions   = ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]
    resources = [module.site.distribution_arn]
  }

  # --- serverless.yml (osls -> CloudFormation stack <name>-<stage>) -----------------------------------
  statement {
    sid       = "CloudFormationStack"
    actions   = ["cloudformation:*"]
    resources = ["${local.arn_prefix}:cloudformation:${local.account_region}:stack/${local.deploy_stack_name}/*"]
  }
  statement {
    sid = "CloudFormationRead"
    actions = [
      "cloudformation:DescribeStacks", "cloudformation:ListStacks", "cloudformation:ValidateTemplate",
      "cloudformation:GetTemplateSummary",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "DeploymentBucket"
    actions   = ["s3:CreateBucket", "s3:DeleteBucket", "s3:GetBucket*", "s3:PutBucket*", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration", "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.arn_prefix}:s3:::${local.deploy_stack_name}-*", "${local.arn_prefix}:s3:::${local.deploy_stack_name}-*/*"]
  }
  statement {
    sid       = "Functions"
    actions   = ["lambda:*"]
    resources = ["${local.arn_prefix}:lambda:${local.account_region}:function:${local.deploy_stack_name}-*"]
  }
  statement {
    sid       = "FunctionLogs"
    actions   = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource", "logs:TagLogGroup"]
    resources = ["${local.arn_prefix}:logs:${local.account_region}:log-group:/aws/lambda/${local.deploy_stack_name}-*"]
  }
  statement {
    sid       = "FunctionLogsRead"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["${local.arn_prefix}:logs:${local.account_region}:log-group:*"]
  }
  statement {
    sid = "FunctionRoles"
    # The stack creates the functions' execution roles. Names are confined to the stack's
    # prefix; an organisation that wants more adds a permissions boundary here.
    actions = [
      "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:PassRole", "iam:PutRolePolicy",
      "iam:TagRole", "iam:UntagRole",
    ]
    resources = ["${local.arn_prefix}:iam::${data.aws_caller_identity.current.account_id}:role/${local.deploy_stack_name}-*"]
  }
  statement {
    sid       = "SwitchEventRules"
    actions   = ["events:DeleteRule", "events:DescribeRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource"]
    resources = ["${local.arn_prefix}:events:${local.account_region}:rule/${local.deploy_stack_name}-*"]
  }
  # No API Gateway permissions: the stack has no API of its own (serverless.yml declares its
  # httpApi routes for the local stage only), and the hub's shared API is Terraform's.
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
