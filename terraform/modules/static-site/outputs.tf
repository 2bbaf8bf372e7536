output "bucket_name" {
  description = "Upload web/dist here (aws s3 sync web/dist s3://<bucket_name> --delete)."
  value       = aws_s3_bucket.site.bucket
}

output "bucket_arn" {
  description = "Site bucket ARN, for the deploy role."
  value       = aws_s3_bucket.site.arn
}

output "distribution_id" {
  description = "CloudFront distribution to invalidate after an upload."
  value       = aws_cloudfront_distribution.site.id
}

output "distribution_arn" {
  description = "CloudFront distribution ARN, for the deploy role."
  value       = aws_cloudfront_distribution.site.arn
}

output "distribution_domain_name" {
  description = "CloudFront domain (*.cloudfront.net)."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "url" {
  description = "The page."
  value       = "https://${var.domain_name}/"
}
