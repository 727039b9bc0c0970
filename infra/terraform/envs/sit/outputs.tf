output "table_name" {
  value = module.control_plane.table_name
}

output "jobs_queue_url" {
  value = module.control_plane.jobs_queue_url
}

output "jobs_dlq_url" {
  value = module.control_plane.jobs_dlq_url
}

output "event_bus_name" {
  value = module.control_plane.event_bus_name
}

output "artifacts_bucket" {
  value = module.control_plane.artifacts_bucket
}

output "function_names" {
  value = module.control_plane.function_names
}

output "api_endpoint" {
  value = module.control_plane.api_endpoint
}

output "api_id" {
  value = module.control_plane.api_id
}

output "routes" {
  value = module.control_plane.routes
}

output "user_pool_id" {
  value = module.control_plane.user_pool_id
}

output "user_pool_client_id" {
  value = module.control_plane.user_pool_client_id
}
