"""A typed Python client of the BBWS API, and `verify_webhook` for receivers of its webhooks."""

from bbws.client.webhooks import WebhookVerificationError, verify_webhook

__all__ = ["WebhookVerificationError", "verify_webhook"]
