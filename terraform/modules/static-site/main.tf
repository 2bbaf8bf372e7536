# The page (web/dist) on a private S3 bucket behind CloudFront with Origin Access Control.
# The same distribution also carries the API paths (var.routes), so the page, REST and the
# WebSocket share one origin in the browser: no CORS, and /jessica/ws reaches a backend that
# really speaks WebSocket (CloudFront forwards the upgrade; an HTTP API cannot).

terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

locals {
  # CloudFront names allow letters, digits, hyphens and underscores only.
  name         = replace(var.domain_name, ".", "-")
  s3_origin_id = "site"
  # One origin per id; several routes may share one.
  route_origins = { for id, routes in { for route in var.routes : route.origin_id => route... } : id => routes[0] }
  content_security_policy = join("; ", [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: data:",
    "connect-src ${join(" ", concat(["'self'", "wss://${var.domain_name}"], var.connect_sources))}",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ])
  # Cache-Control by kind of file (see the response headers policies below).
  cache_control = {
    page   = "no-cache"
    assets = "public, max-age=31536000, immutable"
  }
}

# --- bucket ----------------------------------------------------------------------------------------

resource "aws_s3_bucket" "site" {
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? "jessica-site-" : null
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# OAC requires "bucket owner enforced" (ACLs disabled).
resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

data "aws_iam_policy_document" "site" {
  statement {
    sid       = "CloudFrontRead"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.site.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }
  # Lets a missing asset answer 404 instead of 403.
  statement {
    sid       = "CloudFrontList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.site.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.site.arn, "${aws_s3_bucket.site.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "site" {
  bucket     = aws_s3_bucket.site.id
  policy     = data.aws_iam_policy_document.site.json
  depends_on = [aws_s3_bucket_public_access_block.site]
}

# The page's deployment-specific settings (web/dist/config.json holds the local defaults).
resource "aws_s3_object" "page_config" {
  bucket        = aws_s3_bucket.site.id
  key           = "config.json"
  content       = jsonencode(var.page_config)
  content_type  = "application/json"
  cache_control = "no-cache"
}

# --- CloudFront ------------------------------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${local.name}-site"
  description                       = "Jessica page bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "caching_disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_viewer" {
  name = "Managed-AllViewer"
}

data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

# Two header sets, the same but for Cache-Control: the content-hashed script and stylesheet
# (scripts/build-web.mjs: app.<hash>.js, styles.<hash>.css) never change under their names and
# are kept for a year; everything else (index.html, config.json) is revalidated on every load,
# so a deploy reaches every browser at its next visit. The deploy's upload sets the same values
# as object metadata; overriding here keeps viewers right whatever an upload set.
resource "aws_cloudfront_response_headers_policy" "security" {
  for_each = local.cache_control

  name    = each.key == "page" ? "${local.name}-security" : "${local.name}-${each.key}"
  comment = "Security headers for the Jessica page${each.key == "page" ? "" : " (${each.key})"}, Cache-Control ${each.value}"

  security_headers_config {
    content_security_policy {
      content_security_policy = local.content_security_policy
      override                = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      override                   = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = "camera=(), microphone=(), geolocation=()"
      override = true
    }
    items {
      header   = "Cache-Control"
      value    = each.value
      override = true
    }
  }
}

# The policy existed before it had an immutable sibling.
moved {
  from = aws_cloudfront_response_headers_policy.security
  to   = aws_cloudfront_response_headers_policy.security["page"]
}

# SPA fallback on the page behaviour only: a path without a file extension is a client-side
# route and gets index.html. (A distribution-wide custom error response would also replace the
# API's JSON 404s with the page.)
resource "aws_cloudfront_function" "spa_fallback" {
  name    = "${local.name}-spa-fallback"
  runtime = "cloudfront-js-2.0"
  comment = "Serve index.html for extension-less paths"
  publish = true
  code    = <<-EOT
    function handler(event) {
      var request = event.request;
      var last = request.uri.split('/').pop();
      if (last.indexOf('.') === -1) {
        request.uri = '/index.html';
      }
      return request;
    }
  EOT
}

resource "aws_cloudfront_distribution" "site" {
  enabled             = true
  comment             = "Jessica: page, REST and WebSocket on ${var.domain_name}"
  aliases             = [var.domain_name]
  default_root_object = "index.html"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  web_acl_id          = var.web_acl_arn

  origin {
    origin_id                = local.s3_origin_id
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  dynamic "origin" {
    for_each = local.route_origins
    content {
      origin_id   = origin.key
      domain_name = origin.value.domain_name

      dynamic "custom_origin_config" {
        for_each = origin.value.vpc_origin_id == null ? [1] : []
        content {
          http_port              = origin.value.http_port
          https_port             = origin.value.https_port
          origin_protocol_policy = origin.value.origin_protocol_policy
          origin_ssl_protocols   = ["TLSv1.2"]
          origin_read_timeout    = origin.value.read_timeout
        }
      }

      dynamic "vpc_origin_config" {
        for_each = origin.value.vpc_origin_id == null ? [] : [origin.value.vpc_origin_id]
        content {
          vpc_origin_id       = vpc_origin_config.value
          origin_read_timeout = origin.value.read_timeout
        }
      }
    }
  }

  dynamic "ordered_cache_behavior" {
    for_each = var.routes
    content {
      path_pattern             = ordered_cache_behavior.value.path_pattern
      target_origin_id         = ordered_cache_behavior.value.origin_id
      viewer_protocol_policy   = "https-only"
      allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
      cached_methods           = ["GET", "HEAD"]
      compress                 = false
      cache_policy_id          = data.aws_cloudfront_cache_policy.caching_disabled.id
      origin_request_policy_id = ordered_cache_behavior.value.forward_host_header ? data.aws_cloudfront_origin_request_policy.all_viewer.id : data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    }
  }

  # The hashed script and stylesheet: same origin and cache policy as the page, a year-long
  # Cache-Control. Their names hold a dot, so the SPA fallback would never rewrite them anyway.
  dynamic "ordered_cache_behavior" {
    for_each = var.immutable_path_patterns
    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.s3_origin_id
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = ["GET", "HEAD"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
      response_headers_policy_id = aws_cloudfront_response_headers_policy.security["assets"].id
    }
  }

  default_cache_behavior {
    target_origin_id           = local.s3_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security["page"].id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.spa_fallback.arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  tags = var.tags
}

# --- DNS -------------------------------------------------------------------------------------------------

resource "aws_route53_record" "site" {
  for_each = toset(["A", "AAAA"])
  zone_id  = var.hosted_zone_id
  name     = var.domain_name
  type     = each.value

  alias {
    name                   = aws_cloudfront_distribution.site.domain_name
    zone_id                = aws_cloudfront_distribution.site.hosted_zone_id
    evaluate_target_health = false
  }
}
