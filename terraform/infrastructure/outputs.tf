output "site_url" {
  description = "The page."
  value       = module.site.url
}

output "api_base_url" {
  description = "REST base URL in the browser's origin (also reachable as https://<api_domain_name>/jessica/api/v1)."
  value       = "https://${var.site_domain_name}${local.root_path}/api/v1"
}

output "mcp_url" {
  description = "Streamable-HTTP MCP endpoint."
  value       = "https://${var.api_domain_name}${local.root_path}/mcp"
}

output "websocket_url" {
  description = "Live channel (CloudFront -> task; an HTTP API cannot carry it)."
  value       = "wss://${var.site_domain_name}${local.root_path}/ws"
}

output "route_id" {
  description = "The switched route ANY /jessica/{proxy+} (JESSICA_ROUTE_ID)."
  value       = aws_apigatewayv2_route.jessica.id
}

output "fargate_integration_id" {
  description = "JESSICA_FARGATE_INTEGRATION_ID."
  value       = aws_apigatewayv2_integration.fargate.id
}

output "lambda_integration_id" {
  description = "JESSICA_LAMBDA_INTEGRATION_ID."
  value       = aws_apigatewayv2_integration.lambda.id
}

output "settings_table_name" {
  description = "JESSICA_SETTINGS=dynamodb:<this> for the Lambda functions."
  value       = module.service.settings_table_name
}

output "github_actions_variables" {
  description = "Repository/environment variables the deploy workflow reads."
  value = {
    AWS_REGION                 = data.aws_region.current.name
    AWS_DEPLOY_ROLE_ARN        = aws_iam_role.deploy.arn
    ECR_REPOSITORY_URL         = module.service.ecr_repository_url
    ECS_CLUSTER                = module.service.cluster_name
    ECS_SERVICE                = module.service.service_name
    ECS_TASK_FAMILY            = module.service.task_definition_family
    SITE_BUCKET                = module.site.bucket_name
    CLOUDFRONT_DISTRIBUTION_ID = module.site.distribution_id
    SLS_STAGE                  = var.stage
    # Read by serverless.yml (params with env fallbacks) during `sls deploy`.
    JESSICA_API_ID                 = var.http_api_id
    JESSICA_ROUTE_ID               = aws_apigatewayv2_route.jessica.id
    JESSICA_FARGATE_INTEGRATION_ID = aws_apigatewayv2_integration.fargate.id
    JESSICA_LAMBDA_INTEGRATION_ID  = aws_apigatewayv2_integration.lambda.id
    JESSICA_ECS_CLUSTER            = module.service.cluster_name
    JESSICA_ECS_SERVICE            = module.service.service_name
    JESSICA_SETTINGS_TABLE         = module.service.settings_table_name
    ELEVENLABS_API_KEY_PARAM       = local.parameter_names.api_key
    JESSICA_TOKENS_PARAM           = local.parameter_names.tokens
    JESSICA_ALLOWED_ORIGINS        = local.site_origin
    JESSICA_PUBLIC_URL             = "${local.site_origin}/"
  }
}
