"""The shared HTTP policy for every outside-system client: see client.py, auth.py, errors.py."""

from .auth import (
    ApiKeyHeader,
    BasicAuth,
    NoAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    SessionLogin,
)
from .client import ApiClient
from .errors import (
    ApiError,
    AuthError,
    ClientError,
    ConflictError,
    FatalError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitedError,
    RetryableError,
    ServiceUnavailableError,
    TransientError,
    ValidationError,
    default_error_parser,
)
from .hooks import HookBase, HookClient, RequestHook
from .metrics import TransportMetrics
from .policy import QuotaHeaders, RateLimit, RetryPolicy, Timeouts, TransportPolicy
from .redact import (
    SecretFilter,
    install_log_redaction,
    redact_headers,
    redact_mapping,
    redact_url,
    register_secret,
    scrub,
)
from .system_client import SystemClient

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiKeyHeader",
    "AuthError",
    "BasicAuth",
    "ClientError",
    "ConflictError",
    "FatalError",
    "HookBase",
    "HookClient",
    "NoAuth",
    "NotFoundError",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "PreconditionFailedError",
    "QuotaHeaders",
    "RateLimit",
    "RateLimitedError",
    "RequestHook",
    "RetryPolicy",
    "RetryableError",
    "SecretFilter",
    "ServiceUnavailableError",
    "SessionLogin",
    "SystemClient",
    "Timeouts",
    "TransientError",
    "TransportMetrics",
    "TransportPolicy",
    "ValidationError",
    "default_error_parser",
    "install_log_redaction",
    "redact_headers",
    "redact_mapping",
    "redact_url",
    "register_secret",
    "scrub",
]
