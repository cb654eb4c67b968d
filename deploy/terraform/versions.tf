terraform {
  required_version = ">= 1.5.0"

  # Remote state for a shared deployment: uncomment, create the bucket
  # (versioned, encrypted, public access blocked) and the lock table first,
  # then `terraform init -migrate-state`. Backend blocks take no variables.
  # backend "s3" {
  #   bucket         = "my-rnr-terraform-state"
  #   key            = "rnr/test/terraform.tfstate"
  #   region         = "us-east-1"
  #   encrypt        = true
  #   dynamodb_table = "my-rnr-terraform-locks"
  # }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Application = var.app_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
