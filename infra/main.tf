# The example micro app: one Lambda function published as a version, the alias
# `live` that shipctl shifts, and the SSM parameter that toggles the model.
# Every apply with a new `git_sha` publishes a new version; shipctl reads it
# from the `function_version` output and canaries it. The alias's version and
# routing belong to shipctl after creation, so terraform ignores them.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "env" {
  type    = string
  default = "prod"
}

variable "function_name" {
  type    = string
  default = "micro-app-api"
}

variable "git_sha" {
  type    = string
  default = "dev"
}

variable "aws_endpoint" {
  description = "Send every AWS call here (a local moto_server in tests); empty for real AWS."
  type        = string
  default     = ""
}

locals {
  local_endpoint = var.aws_endpoint != "" ? var.aws_endpoint : null
  testing        = var.aws_endpoint != ""
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = local.testing
  skip_requesting_account_id  = local.testing
  skip_metadata_api_check     = local.testing
  endpoints {
    iam    = local.local_endpoint
    lambda = local.local_endpoint
    ssm    = local.local_endpoint
    sts    = local.local_endpoint
  }
}

resource "aws_iam_role" "app" {
  name = "${var.function_name}-role"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "app" {
  function_name    = var.function_name
  role             = aws_iam_role.app.arn
  runtime          = "python3.12"
  handler          = "handler.handler"
  filename         = "${path.module}/app.zip"
  source_code_hash = filebase64sha256("${path.module}/app.zip")
  publish          = true
  environment {
    variables = { GIT_SHA = var.git_sha }
  }
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.app.function_name
  function_version = aws_lambda_function.app.version
  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

resource "aws_ssm_parameter" "model_provider" {
  name  = "/micro-app/${var.env}/MODEL_PROVIDER"
  type  = "String"
  value = "big-llm"
  lifecycle {
    ignore_changes = [value]
  }
}

output "function_version" {
  description = "The version this apply published; shipctl promotes it."
  value       = aws_lambda_function.app.version
}

output "function_name" {
  value = aws_lambda_function.app.function_name
}
