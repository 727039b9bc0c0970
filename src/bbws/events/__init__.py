"""Domain events: the outbox written with each change, and their delivery to webhooks, EventBridge and SSE."""
