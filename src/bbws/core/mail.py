"""Mail port: invitation and notice emails. Locally each message is a JSON file in the data dir's `mail/`."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path

from bbws.core.clock import Clock, SystemClock, iso
from bbws.core.files import write_private
from bbws.core.ids import new_id


@dataclass(frozen=True)
class Message:
    messageId: str
    to: str
    subject: str
    body: str
    sentAt: str
    tenantId: str | None = None


class Mailer(ABC):
    @abstractmethod
    def send(self, *, to: str, subject: str, body: str, tenant_id: str | None = None) -> Message:
        """Deliver one message."""

    def messages(self) -> list[Message]:
        """Messages sent so far, oldest first, where the adapter can tell."""
        return []


class FileMailer(Mailer):
    def __init__(self, folder: Path, clock: Clock | None = None) -> None:
        self.folder = folder
        self.clock = clock or SystemClock()

    def send(self, *, to: str, subject: str, body: str, tenant_id: str | None = None) -> Message:
        message = Message(new_id("msg"), to, subject, body, iso(self.clock.now()), tenant_id)
        write_private(self.folder / f"{message.messageId}.json", json.dumps(asdict(message), indent=2))
        return message

    def messages(self) -> list[Message]:
        if not self.folder.exists():
            return []
        return [Message(**json.loads(p.read_text())) for p in sorted(self.folder.glob("msg_*.json"))]
