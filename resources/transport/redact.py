"""Keep secrets out of logs: redact headers, URLs and JSON bodies, and scrub registered secret values.

Two layers: structural redaction (`redact_headers`, `redact_url`, `redact_mapping`) for what we log
ourselves, and `SecretFilter`, a `logging.Filter` that rewrites any log record - ours, httpx's, httpcore's,
authlib's - replacing every registered secret value, secret-looking URL parts and secret header tuples.
Clients call `register_secret()` for each secret they hold (passwords, tokens as they are issued).
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

MASK = "***"
# Shorter values would mangle ordinary text; nothing that short is a real secret anyway.
MIN_SECRET_LENGTH = 4

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "arena_session_id",
        "x-csrf-token",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-session-id",
        "x-amz-security-token",
    }
)
_SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "session",
    "authorization",
    "cookie",
    "credential",
    "privatekey",
    "signature",
    "csrf",
    "accesskey",
)
_SECRET_KEY_EXACT = frozenset({"pwd", "sig", "code_verifier", "assertion", "client_assertion"})

# Loggers that see request lines/headers; a filter on a parent logger does not see children's records.
HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "authlib",
    "resources.transport",
)

correlation_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("mfg_sync_correlation_id", default="-")


def is_secret_key(name: str) -> bool:
    """True for header/field/query names that usually hold a secret."""
    lowered = name.lower()
    compact = lowered.replace("-", "").replace("_", "")
    return lowered in SECRET_HEADERS or lowered in _SECRET_KEY_EXACT or any(p in compact for p in _SECRET_KEY_PARTS)


def redact_headers(headers: Mapping[str, str] | httpx.Headers, extra: Iterable[str] = ()) -> dict[str, str]:
    """A copy of `headers` with secret-bearing values masked (`extra`: more header names to mask)."""
    extra_names = {h.lower() for h in extra}
    return {k: (MASK if is_secret_key(k) or k.lower() in extra_names else scrub(v)) for k, v in headers.items()}


def redact_url(url: str | httpx.URL) -> str:
    """The URL with userinfo and secret-looking query parameters masked."""
    parts = urlsplit(str(url))
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if is_secret_key(k) else v) for k, v in pairs], safe="*{}$,")
    return scrub(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_mapping(value: Any) -> Any:
    """A deep copy of a JSON-like value with secret-looking keys' values masked."""
    if isinstance(value, Mapping):
        return {k: (MASK if isinstance(k, str) and is_secret_key(k) else redact_mapping(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_mapping(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


class _SecretRegistry:
    """Process-wide set of secret values, longest first so a token containing another is masked whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._values:
                return
            self._values.add(value)
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text


_registry = _SecretRegistry()

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]+@")
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|session|signature|sig|"
    r"csrf|credential|access[_-]?key|code_verifier)[\w.-]*)=)[^&\s'\"#]*",
    re.IGNORECASE,
)
# httpcore logs header lists as tuples of bytes: (b'set-cookie', b'SAP_SESSIONID=...')
_HEADER_TUPLE = re.compile(
    r"(?P<name>\(b?['\"](?:authorization|proxy-authorization|cookie|set-cookie|arena_session_id|"
    r"x-csrf-token|x-api-key|api-key|apikey|x-auth-token|x-session-id)['\"],\s*b?)(?P<q>['\"])[^'\"]*(?P=q)",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(
    r"\b(?P<scheme>Bearer|Basic|Digest|Token)(?P<gap>\s+)(?P<value>[A-Za-z0-9._~+/=-]{4,})", re.IGNORECASE
)
# digits, base64/JWT punctuation or an inner capital; a hyphen or a full stop alone is ordinary prose
_TOKEN_MARKS = re.compile(r"[0-9_~+/=]|[^.]\.[^.]|.[A-Z]")
# A credential after an auth scheme: long and random-looking; "Basic credentials", "token endpoint" are words.
MIN_TOKEN_LENGTH = 8


def looks_like_token(value: str) -> bool:
    """True for a credential-shaped value (digits, token punctuation or inner capitals), not an English word."""
    value = value.rstrip(".-")  # the end of a sentence is no part of a token
    return len(value) >= MIN_TOKEN_LENGTH and bool(_TOKEN_MARKS.search(value))


def _mask_auth_value(match: re.Match[str]) -> str:
    if not looks_like_token(match["value"]):
        return match[0]
    return f"{match['scheme']}{match['gap']}{MASK}"


def register_secret(value: str | None) -> None:
    """Never let `value` appear in any log line passing through a `SecretFilter`."""
    _registry.add(value)


def scrub(text: str) -> str:
    """Mask registered secrets, URL userinfo, secret query params, secret header tuples and credentials after
    an auth scheme; ordinary words stay as they are."""
    text = _registry.scrub(text)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _SECRET_QUERY.sub(lambda m: f"{m['key']}{MASK}", text)
    text = _HEADER_TUPLE.sub(lambda m: f"{m['name']}{m['q']}{MASK}{m['q']}", text)
    return _AUTH_SCHEME.sub(_mask_auth_value, text)


class SecretFilter(logging.Filter):
    """Rewrites each record's message (args merged in) and exception text with secrets masked.

    Also stamps `record.correlation_id` from the current request so formatters can show it on httpx's
    own lines too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = correlation_id_var.get()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging; keep the raw template
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_filter = SecretFilter()
_install_lock = threading.Lock()


def install_log_redaction(logger_names: Iterable[str] = HTTP_LOGGERS) -> SecretFilter:
    """Attach the shared `SecretFilter` to the HTTP-related loggers (idempotent); returns it for handlers."""
    with _install_lock:
        for name in logger_names:
            logger = logging.getLogger(name)
            if _filter not in logger.filters:
                logger.addFilter(_filter)
    return _filter
