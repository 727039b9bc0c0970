variable "tenant_id" {
  description = "The tenant's id (`ten_...`). Names every resource; lower case because it also names a database and a host."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{2,39}$", var.tenant_id))
    error_message = "tenant_id must be 3-40 characters: lower-case letters, digits, '_' or '-'."
  }
}

variable "environment" {
  description = "The platform environment the instance belongs to."
  type        = string

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be one of dev, sit, prod."
  }
}

variable "instance_id" {
  description = "The control plane's id of this instance (`ins_...`), kept as a tag."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{3,64}$", var.instance_id))
    error_message = "instance_id must be 3-64 characters: letters, digits, '_' or '-'."
  }
}

variable "desired_count" {
  description = "WordPress tasks to keep running; 0 stops the instance and keeps its data."
  type        = number

  validation {
    condition     = var.desired_count >= 0 && var.desired_count <= 10 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number from 0 to 10."
  }
}

variable "wordpress_version" {
  description = "WordPress version; with php_version it selects the image tag `{wordpress_version}-php{php_version}`."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+(\\.[0-9]+)?$", var.wordpress_version))
    error_message = "wordpress_version must look like 6.8 or 6.8.1."
  }
}

variable "php_version" {
  description = "PHP version of the image."
  type        = string

  validation {
    condition     = contains(["8.2", "8.3"], var.php_version)
    error_message = "php_version must be one of 8.2, 8.3."
  }
}

variable "settings" {
  description = "PHP and WordPress settings, passed to the container as environment variables."
  type = object({
    php_memory_limit    = optional(string, "256M")
    upload_max_filesize = optional(string, "64M")
    debug               = optional(bool, false)
  })
  default = {}

  validation {
    condition = alltrue([
      for size in [var.settings.php_memory_limit, var.settings.upload_max_filesize] : can(regex("^[0-9]+[KMG]$", size))
    ])
    error_message = "php_memory_limit and upload_max_filesize must be sizes such as 256M."
  }
}

variable "tags" {
  description = "Extra tags (e.g. bbws:cost-center, bbws:opportunity); the module's own bbws:* tags win on conflict."
  type        = map(string)
  default     = {}
}

variable "image" {
  description = "WordPress image; null uses the platform repository `bbws/wordpress` in this account and region."
  type        = string
  default     = null
}

variable "db_init_image" {
  description = "Image with a MySQL client, run before WordPress in each task to create the tenant's database and user."
  type        = string
  default     = "public.ecr.aws/docker/library/mysql:8.4"
}

variable "domain" {
  description = "Parent domain of the instance's host names (`{environment}.{tenant}.{domain}` and its subdomains)."
  type        = string
  default     = "sites.bbws.io"
}

variable "kms_key_arn" {
  description = "KMS key for the tenant's secrets and logs; null creates a key for this tenant and environment."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "How long the tasks' logs are kept."
  type        = number
  default     = 365
}
