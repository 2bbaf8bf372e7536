output "ecr_repository_url" {
  description = "Push images here (tag = commit SHA)."
  value       = aws_ecr_repository.service.repository_url
}

output "ecr_repository_arn" {
  description = "ECR repository ARN, for the deploy role."
  value       = aws_ecr_repository.service.arn
}

output "cluster_name" {
  description = "ECS cluster name (JESSICA_ECS_CLUSTER of the switch function)."
  value       = aws_ecs_cluster.service.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.service.arn
}

output "service_name" {
  description = "ECS service name (JESSICA_ECS_SERVICE of the switch function)."
  value       = aws_ecs_service.service.name
}

output "service_arn" {
  description = "ECS service ARN."
  value       = aws_ecs_service.service.id
}

output "task_definition_family" {
  description = "Task definition family; the deploy workflow registers new revisions in it."
  value       = aws_ecs_task_definition.service.family
}

output "task_role_arn" {
  description = "Role of the running server."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Role of the ECS agent (pull, logs, secrets)."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "Container log group."
  value       = aws_cloudwatch_log_group.service.name
}

output "security_group_id" {
  description = "Security group of the task."
  value       = aws_security_group.task.id
}

output "settings_table_name" {
  description = "DynamoDB settings table (JESSICA_SETTINGS=dynamodb:<name>), shared with the Lambda handlers."
  value       = module.settings_table.name
}

output "settings_table_arn" {
  description = "DynamoDB settings table ARN."
  value       = module.settings_table.arn
}

output "integration_uri" {
  description = "Target of the HTTP API private integration: the Cloud Map service ARN, or the ALB listener ARN when ws_ingress = \"alb\"."
  value       = local.use_alb ? aws_lb_listener.http[0].arn : aws_service_discovery_service.service[0].arn
}

output "websocket_origin" {
  description = "Where CloudFront sends /jessica/ws: the task's origin record on the container port, or the internal ALB through its VPC origin."
  value = local.use_alb ? {
    domain_name   = aws_lb.service[0].dns_name
    http_port     = 80
    vpc_origin_id = aws_cloudfront_vpc_origin.alb[0].id
    } : {
    domain_name   = local.origin_record_name
    http_port     = var.container_port
    vpc_origin_id = null
  }
}

output "pubsub" {
  description = "The shared live channel: \"none\", \"valkey_serverless\" or \"external\"."
  value       = var.pubsub
}

output "pubsub_endpoint" {
  description = "host:port of the Valkey cache behind JESSICA_PUBSUB (pubsub = \"valkey_serverless\"), else null."
  value       = local.use_valkey ? "${aws_elasticache_serverless_cache.pubsub[0].endpoint[0].address}:${aws_elasticache_serverless_cache.pubsub[0].endpoint[0].port}" : null
}

output "pubsub_security_group_id" {
  description = "Security group of the Valkey cache (pubsub = \"valkey_serverless\"), else null."
  value       = local.use_valkey ? aws_security_group.pubsub[0].id : null
}

output "origin_record_state_machine_arn" {
  description = "The workflow that moves the WebSocket origin record (ws_ingress = \"cloudfront\"), else null. Its failed executions are the ones to alarm on."
  value       = local.use_origin_record ? aws_sfn_state_machine.origin_record[0].arn : null
}
