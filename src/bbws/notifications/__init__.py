"""How a tenant hears about its events: signed webhooks (with their deliveries) and the live event stream."""
