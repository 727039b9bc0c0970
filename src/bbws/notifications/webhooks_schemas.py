"""Webhook API bodies: `WebhookCreate`, `WebhookUpdate`, `WebhookPublic` (+ `WebhookWithSecret`), `DeliveryPublic`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bbws.core.schemas import TEXT_PATTERN, Link, RequestModel, body_rules
from bbws.notifications.destinations import check_event_types, check_url_shape

WEBHOOK_ID_PATTERN = r"^whk_[0-9a-z]{26}$"

# What `check_url_shape` takes: http(s), a host, no credentials, a port from 1 to 65535.
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
_H16, _OCTET = "[0-9A-Fa-f]{1,4}", "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LS32 = rf"(?:{_H16}:{_H16}|{_OCTET}(?:\.{_OCTET}){{3}})"
# Every textual IPv6 form of RFC 4291 (embedded IPv4 included), in brackets as a URL writes it.
_IPV6 = r"\[(?:" + "|".join([
    rf"(?:{_H16}:){{6}}{_LS32}",
    rf"::(?:{_H16}:){{5}}{_LS32}",
    rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
    rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
    rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
    rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
]) + r")\]"
URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://(?:[^/?#@:\[\]]+|{_IPV6})(?::{_PORT})?(?:[/?#].*)?$"
WebhookUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048, strip_whitespace=True, pattern=URL_PATTERN),
    AfterValidator(check_url_shape),
]
EventType = Annotated[str, StringConstraints(pattern=r"^(?:\*|bbws\.[a-z_]+\.(?:[a-z_]+|\*))$")]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=50), AfterValidator(check_event_types)]
Description = Annotated[str, StringConstraints(max_length=500, pattern=TEXT_PATTERN)]

EVENT_TYPES_DOC = "`[\"*\"]` for every event, exact types (`bbws.tenant.parked`) or area wildcards (`bbws.tenant.*`)."


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    GIVEN_UP = "GIVEN_UP"


class WebhookCreate(RequestModel):
    url: WebhookUrl = Field(examples=["https://hooks.example.com/bbws"])
    eventTypes: EventTypes = Field(description=EVENT_TYPES_DOC, examples=[["bbws.tenant.*"]])
    description: Description | None = Field(None, examples=["Billing system"])


class WebhookUpdate(RequestModel):
    """Send the fields to change; `enabled: true` re-enables an endpoint that was disabled."""

    model_config = ConfigDict(
        json_schema_extra=body_rules(not_null=("url", "eventTypes", "enabled"), min_properties=1)
    )

    url: WebhookUrl | None = None
    eventTypes: EventTypes | None = Field(None, description=EVENT_TYPES_DOC)
    description: Description | None = None
    enabled: bool | None = None

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> WebhookUpdate:
        for name in ("url", "eventTypes", "enabled"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it")
        return self


class WebhookPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    webhookId: str = Field(examples=["whk_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    tenantId: str
    url: str
    eventTypes: list[str]
    description: str | None = None
    enabled: bool
    disabledReason: str | None = None
    disabledAt: str | None = None
    secretPrefix: str = Field(description="The first characters of the signing secret, to tell secrets apart.")
    previousSecretExpiresAt: str | None = Field(
        None, description="After a rotation the previous secret also signs deliveries until this time."
    )
    failingSince: str | None = Field(None, description="First failed attempt since the last success, if any.")
    createdAt: str
    createdBy: str
    updatedAt: str
    updatedBy: str
    version: int
    links: dict[str, Link] = Field(alias="_links")


class WebhookWithSecret(WebhookPublic):
    secret: str = Field(
        description="The signing secret (`whsec_...`). Shown only in this answer; store it now.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class Attempt(BaseModel):
    attempt: int
    time: str
    statusCode: int | None = Field(None, description="The receiver's HTTP status; null when no answer came.")
    durationMs: int
    error: str | None = None


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    deliveryId: str
    webhookId: str
    tenantId: str
    eventId: str
    eventType: str = Field(examples=["bbws.tenant.parked"])
    status: DeliveryStatus
    attempts: list[Attempt]
    nextAttemptAt: str | None = None
    reason: str | None = Field(None, description="Why the delivery was given up, when it was.")
    createdAt: str
    completedAt: str | None = None
    links: dict[str, Link] = Field(alias="_links")
