# What viewers are told to keep, planned against a mocked AWS provider (no credentials, no network).
# Run: terraform -chdir=terraform/modules/static-site test   (scripts/terraform-check.sh does)

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_cloudfront_cache_policy" {
    defaults = { id = "cache-policy-id" }
  }
  mock_data "aws_cloudfront_origin_request_policy" {
    defaults = { id = "origin-request-policy-id" }
  }
}

variables {
  domain_name     = "jessica.example.io"
  hosted_zone_id  = "Z123"
  certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
  routes = [{
    path_pattern = "/jessica/*"
    origin_id    = "api"
    domain_name  = "api.example.io"
  }]
}

run "cache_control" {
  command = plan

  assert {
    condition     = [for item in aws_cloudfront_response_headers_policy.security["assets"].custom_headers_config[0].items : item.value if item.header == "Cache-Control"] == ["public, max-age=31536000, immutable"]
    error_message = "The hashed script and stylesheet are kept for a year and never revalidated."
  }
  assert {
    condition     = [for item in aws_cloudfront_response_headers_policy.security["page"].custom_headers_config[0].items : item.value if item.header == "Cache-Control"] == ["no-cache"]
    error_message = "index.html (and everything not hashed) is revalidated on every load."
  }
  assert {
    condition     = alltrue([for item in aws_cloudfront_response_headers_policy.security["assets"].custom_headers_config[0].items : item.override])
    error_message = "The policy wins over whatever metadata an upload set."
  }
  assert {
    condition     = aws_cloudfront_response_headers_policy.security["page"].security_headers_config[0].content_security_policy[0].content_security_policy == aws_cloudfront_response_headers_policy.security["assets"].security_headers_config[0].content_security_policy[0].content_security_policy
    error_message = "Assets and page carry the same security headers."
  }
  assert {
    condition     = [for behaviour in aws_cloudfront_distribution.site.ordered_cache_behavior : behaviour.path_pattern] == ["/jessica/*", "/app.*.js", "/styles.*.css"]
    error_message = "The API routes come first, then the hashed assets; the page is the default behaviour."
  }
  assert {
    condition     = alltrue([for behaviour in aws_cloudfront_distribution.site.ordered_cache_behavior : behaviour.target_origin_id == "site" && behaviour.compress if behaviour.path_pattern != "/jessica/*"])
    error_message = "The hashed assets come from the bucket, compressed."
  }
}
