variable "artifacts_dir" {
  description = "Where `bbws aws package` wrote bbws-layer.zip and bbws-code.zip."
  type        = string
  default     = "../../../../dist/lambda"
}

variable "cursor_secret" {
  description = "BBWS_CURSOR_SECRET (TF_VAR_cursor_secret, from the pipeline's secret store)."
  type        = string
  sensitive   = true
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic."
  type        = string
  default     = null
}

variable "enable_unsupported_in_moto" {
  description = "False only in the test that applies this environment to a moto server."
  type        = bool
  default     = true
}
