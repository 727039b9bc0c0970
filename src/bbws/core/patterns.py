"""What each pattern a field must match means, in words: validation messages say this, `errors[]` keeps the regex."""

from __future__ import annotations

import re

from bbws.core.schemas import visible_pattern

# Ids are `{prefix}_` and a 26-character lower-case ULID; one rule describes every kind, present and future.
_ID = re.compile(r"^\^\(?(?P<prefixes>[a-z]+(?:\|[a-z]+)*)\)?_\[0-9a-z\]\{26\}\$$")
_SUBDOMAIN_RULE = "lowercase letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen"

# Keyed by the exact regex a field declares. A test checks that every pattern in the API has an entry here.
DESCRIPTIONS: dict[str, str] = {
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$": _SUBDOMAIN_RULE,
    r"^[^\x00-\x1f\x7f]*$": "text without control characters (no line breaks or tabs)",
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$": "text without control characters (line breaks and tabs are fine)",
    r"^[a-z0-9][a-z0-9_-]{0,63}$": (
        "a plugin or theme slug: lowercase letters, digits, hyphens and underscores, 1 to 64 characters, "
        "starting with a letter or digit"
    ),
    r"^(plg_[0-9a-z]{26}|[a-z0-9][a-z0-9_-]{0,63}(@[0-9A-Za-z.+-]{1,32})?)$": (
        "a catalog id (plg_...) or a plugin slug, optionally with @version (e.g. bbws-hello@1.0.0)"
    ),
    r"^[0-9A-Za-z]+(?:[.+_-][0-9A-Za-z]+)*$": (
        "a version: letters and digits in parts joined by single dots, plus signs, hyphens or underscores "
        "(e.g. 1.2.3)"
    ),
    r"^[a-z0-9][a-z0-9-]{0,40}$": (
        "a category: lowercase letters, digits and hyphens, 1 to 41 characters, starting with a letter or digit"
    ),
    r"^[a-z0-9][a-z0-9-]{1,40}$": (
        "a template slug: lowercase letters, digits and hyphens, 2 to 41 characters, starting with a letter or digit"
    ),
    r"^[a-z0-9][a-z0-9_-]{1,40}(@[0-9]{1,4})?$": (
        "a template id or slug (2 to 41 lowercase letters, digits, hyphens, underscores), optionally with "
        "@version (e.g. business@2)"
    ),
    r"^[a-z][a-z0-9_-]{0,63}$": (
        "an option name: lowercase letters, digits, hyphens and underscores, 1 to 64 characters, starting with a letter"
    ),
    r"^[A-Za-z0-9_.:-]+$": "letters, digits, underscores, dots, colons and hyphens",
    r"^[A-Za-z0-9@._:+-]{1,128}$": "a user id: 1 to 128 letters, digits and the characters @ . _ : + -",
    r"^[A-Za-z0-9][A-Za-z0-9._:-]*$": (
        "an advisory id (e.g. CVE-2024-12345): letters, digits, dots, underscores, colons and hyphens, "
        "starting with a letter or digit"
    ),
    r"^[A-Za-z0-9_-]{32,128}$": (
        "the invitation token from the email: 32 to 128 letters, digits, hyphens and underscores"
    ),
    r"^[A-Z_]+$": "capital letters and underscores (e.g. TENANT_PARK)",
    r"^[1-9]\d{0,3}M$": "a size in megabytes: a whole number from 1 to 9999 followed by M (e.g. 256M)",
    r"^\d{1,2}\.\d{1,2}(\.\d{1,3})?$": "a version of the form 8.2 or 6.5.3",
    r"^\d{2,5}-\d{2,5}$": "a port range of the form 20000-29999",
    r"^evt_[0-6][0-9a-hjkmnp-tv-z]{25}$": "an event id: evt_ followed by 26 lowercase letters or digits",
    r"^(?:\*|bbws\.[a-z_]+\.(?:[a-z_]+|\*))$": "an event type such as bbws.site.created or bbws.site.*, or *",
    (
        r"^[\s,]*(?:(?:\*|bbws(?:\.[a-z][a-z0-9_-]*)+(?:\.\*)?)(?:\s*,[\s,]*(?:\*|bbws(?:\.[a-z][a-z0-9_-]*)+"
        r"(?:\.\*)?))*)?[\s,]*$"
    ): "a comma-separated list of event types such as bbws.site.created, bbws.site.* or *",
    r"^\d{12}$": "twelve digits",
}

# Names and texts that must keep visible characters once surrounding blanks are stripped.
DESCRIPTIONS |= {
    visible_pattern(1): "text with at least one visible character and no control characters (no line breaks or tabs)",
    visible_pattern(2): "text with at least two visible characters and no control characters (no line breaks or tabs)",
    visible_pattern(1, text=True): (
        "text with at least one visible character and no control characters (line breaks and tabs are fine)"
    ),
}

# Long patterns whose details are tuned often (which addresses a URL may name, which domains are reserved) are
# described by how they start, so the words follow the tuning.
BY_PREFIX: tuple[tuple[str, str], ...] = (
    (
        r"^[Hh][Tt][Tt][Pp][Ss]?://",
        "an http or https URL with a host name or address and an optional port (e.g. https://hooks.example.com/bbws)",
    ),
    (r"^(?![^@]*@", "an email address on a public domain (reserved ones such as .test or .local are refused)"),
)


def describe(pattern: str) -> str | None:
    """The words for `pattern`, or None when no one has written them yet."""
    if pattern in DESCRIPTIONS:
        return DESCRIPTIONS[pattern]
    for prefix, words in BY_PREFIX:
        if pattern.startswith(prefix):
            return words
    match = _ID.match(pattern)
    if match is None:
        return None
    prefixes = [f"{p}_" for p in match["prefixes"].split("|")]
    named = prefixes[0] if len(prefixes) == 1 else ", ".join(prefixes[:-1]) + " or " + prefixes[-1]
    return f"an id: {named} followed by 26 lowercase letters or digits"
