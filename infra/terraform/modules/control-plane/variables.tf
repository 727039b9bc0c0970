variable "environment" {
  description = "dev, sit or prod: part of every name and the BBWS_ENVIRONMENT of the functions."
  type        = string
  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be dev, sit or prod."
  }
}

variable "openapi_spec" {
  description = "Path of openapi/bbws-api.yaml: the gateway's routes are read from it, so the two cannot drift."
  type        = string
}

variable "layer_artifact" {
  description = "Zip of the shared dependency layer (`bbws aws package`)."
  type        = string
}

variable "code_artifacts" {
  description = "Zip of each function's code by function key (tenants, sites, instances, sqs-worker, outbox-relay, scheduled, ecs-events, dlq); `default` serves every key not listed."
  type        = map(string)
  validation {
    condition     = contains(keys(var.code_artifacts), "default") || length(setsubtract(["tenants", "sites", "instances", "sqs-worker", "outbox-relay", "scheduled", "ecs-events", "dlq"], keys(var.code_artifacts))) == 0
    error_message = "code_artifacts needs a zip for every function, or a `default` one."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of every function (SnapStart needs python3.12 or later)."
  type        = string
  default     = "python3.12"
}

variable "handlers" {
  description = "Handler of a function, when it differs from the entry point named in the module."
  type        = map(string)
  default     = {}
}

variable "memory_mb" {
  description = "Memory of the HTTP functions (the workers take half as much again: they run whole jobs)."
  type        = number
  default     = 1024
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per function key: a runaway function cannot starve the others of the account's pool."
  type        = map(number)
  default = {
    tenants        = 50
    sites          = 50
    instances      = 20
    "sqs-worker"   = 10
    "outbox-relay" = 5
    scheduled      = 2
    "ecs-events"   = 5
    dlq            = 2
  }
}

variable "throttle" {
  description = "API stage throttling: steady requests per second and burst (LLD 2.5; per environment in envs/*)."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
}

variable "cursor_secret" {
  description = "BBWS_CURSOR_SECRET of the functions (signs pagination cursors; 32+ random characters, from the pipeline's secret store)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.cursor_secret) >= 32
    error_message = "cursor_secret must be at least 32 characters."
  }
}

variable "deletion_protection" {
  description = "Protect the table and the user pool from deletion (prod)."
  type        = bool
  default     = false
}

variable "dr_replica" {
  description = "Keep a replica of the table in the provider `aws.dr`'s region (prod: eu-west-1)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the functions' and the API's logs."
  type        = number
  default     = 365
}

variable "alarm_email" {
  description = "An address subscribed to the alarm topic (none: subscribe elsewhere)."
  type        = string
  default     = null
}

variable "latency_p95_ms" {
  description = "The API's p95 latency above which the latency alarm fires."
  type        = number
  default     = 2000
}

variable "enable_unsupported_in_moto" {
  description = "Create what the moto server of the apply test cannot: the DLQ's redrive-allow policy (moto keeps none, and the provider waits for it forever). Always true outside that test."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
