"""Item store port and its SQLite and DynamoDB adapters."""
