"""Service settings: read once from ``CNS_*`` environment variables, validated, immutable.

Every setting has a sane default, so ``create_app()`` with an empty environment
gives a working service. A bad value stops startup with a message naming the
variable, the value and what is valid.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cns_core.criteria import ANY, AllowLists, parse_enum
from cns_core.errors import InvalidRequestError

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
RATE_LIMIT_STRATEGIES = ("fixed-window", "moving-window", "sliding-window-counter")
RATE_LIMIT_STORAGES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
#: Criteria field → the variable holding its comma list of allowed values.
ALLOWLIST_VARIABLES = {
    "accelerator": "CNS_ALLOWED_ACCELERATORS",
    "service": "CNS_ALLOWED_SERVICES",
    "intent": "CNS_ALLOWED_INTENTS",
    "os": "CNS_ALLOWED_OS",
    "platform": "CNS_ALLOWED_PLATFORMS",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """Everything the web service can be configured with (see docs/configuration.md)."""

    data_dir: str | None = None
    log_format: str = "text"
    log_level: str = "info"
    rate_limit_enabled: bool = True
    rate_limit: str = "200 per 2 seconds"
    rate_limit_strategy: str = "sliding-window-counter"
    rate_limit_storage: str = "memory://"
    trusted_proxies: int = 0
    max_body_bytes: int = 1024 * 1024
    request_timeout: float = 30.0
    max_bundle_builds: int = 2
    recipe_cache_size: int = 256
    cache_max_age: int = 600
    allowlists: AllowLists = field(default_factory=AllowLists)

    @classmethod
    def from_mapping(cls, env: Mapping[str, Any]) -> Settings:
        """Parse settings from an environment-like mapping (unknown keys are ignored)."""
        reader = EnvReader(env)
        defaults = cls()
        settings = cls(
            data_dir=reader.text("CNS_DATA_DIR") or None,
            log_format=reader.choice("CNS_LOG_FORMAT", defaults.log_format, LOG_FORMATS),
            log_level=reader.choice("CNS_LOG_LEVEL", defaults.log_level, LOG_LEVELS),
            rate_limit_enabled=reader.flag("CNS_RATE_LIMIT_ENABLED", defaults.rate_limit_enabled),
            rate_limit=reader.text("CNS_RATE_LIMIT") or defaults.rate_limit,
            rate_limit_strategy=reader.choice(
                "CNS_RATE_LIMIT_STRATEGY", defaults.rate_limit_strategy, RATE_LIMIT_STRATEGIES
            ),
            rate_limit_storage=reader.text("CNS_RATE_LIMIT_STORAGE") or defaults.rate_limit_storage,
            trusted_proxies=reader.integer("CNS_TRUSTED_PROXIES", defaults.trusted_proxies, 0),
            max_body_bytes=reader.integer("CNS_MAX_BODY_BYTES", defaults.max_body_bytes, 1),
            request_timeout=reader.seconds("CNS_REQUEST_TIMEOUT", defaults.request_timeout),
            max_bundle_builds=reader.integer(
                "CNS_MAX_BUNDLE_BUILDS", defaults.max_bundle_builds, 1
            ),
            recipe_cache_size=reader.integer(
                "CNS_RECIPE_CACHE_SIZE", defaults.recipe_cache_size, 0
            ),
            cache_max_age=reader.integer("CNS_CACHE_MAX_AGE", defaults.cache_max_age, 0),
            allowlists=reader.allowlists(),
        )
        settings.check_rate_limit()
        return settings

    @classmethod
    def from_env(cls, overrides: Mapping[str, Any] | None = None) -> Settings:
        """Settings from ``os.environ``, with ``overrides`` (same names) taking precedence."""
        return cls.from_mapping({**os.environ, **(overrides or {})})

    def check_rate_limit(self) -> None:
        """Fail early on a limit string or storage URI that flask-limiter would reject later."""
        from limits import parse_many

        try:
            parse_many(self.rate_limit)
        except ValueError:
            raise InvalidRequestError(
                f"CNS_RATE_LIMIT={self.rate_limit!r} is not a rate limit: use e.g. "
                "'200 per 2 seconds' or '100/second;2000/minute'"
            ) from None
        scheme = self.rate_limit_storage.partition("://")[0]
        if scheme not in RATE_LIMIT_STORAGES:
            raise InvalidRequestError(
                f"CNS_RATE_LIMIT_STORAGE={self.rate_limit_storage!r} is not supported: use "
                f"a URI starting with {', '.join(s + '://' for s in RATE_LIMIT_STORAGES)}"
            )


class EnvReader:
    """Typed access to environment values with error messages naming the variable: the
    one reader of every setting (Settings, gunicorn's configuration, the allowlists)."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env

    def text(self, name: str) -> str:
        return str(self.env.get(name, "")).strip()

    def choice(self, name: str, default: str, valid: tuple[str, ...]) -> str:
        value = self.text(name).lower() or default
        if value not in valid:
            raise InvalidRequestError(
                f"{name}={self.env[name]!r} is not valid: use one of {', '.join(valid)}"
            )
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name).lower()
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise InvalidRequestError(f"{name}={self.env[name]!r} is not a boolean: use true or false")

    def integer(self, name: str, default: int, minimum: int) -> int:
        value = self.text(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise InvalidRequestError(
                f"{name}={self.env[name]!r} is not valid: use an integer >= {minimum}"
            )
        return number

    def seconds(self, name: str, default: float) -> float:
        value = self.text(name)
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            number = 0.0
        if not 0 < number < float("inf"):
            raise InvalidRequestError(
                f"{name}={self.env[name]!r} is not valid: use a number of seconds > 0"
            )
        return number

    def allowlists(self) -> AllowLists:
        """``CNS_ALLOWED_*`` comma lists, parsed as criteria values; a bad item is an error."""
        lists: dict[str, tuple[str, ...]] = {}
        for field_name, name in ALLOWLIST_VARIABLES.items():
            items: list[str] = []
            for raw in self.text(name).split(","):
                if not raw.strip():
                    continue
                try:
                    value = parse_enum(field_name, raw)
                except InvalidRequestError as exc:
                    raise InvalidRequestError(f"invalid {name}: {exc.message}") from None
                if value != ANY and value not in items:
                    items.append(value)
            if items:
                lists[field_name] = tuple(items)
        return AllowLists(lists)
