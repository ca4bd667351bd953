"""`ytvault doctor`'s look at the Messages API: one tiny call, its answer sorted into a verdict.
Imports anthropic lazily, as claude.py does."""

from __future__ import annotations

from ytvault.analysis.claude import base_url
from ytvault.config.settings import Config


def probe_api(config: Config, key: str | None, timeout: float = 15.0) -> tuple[str, str]:
    """One tiny call (`max_tokens` 1, no retries) for `ytvault doctor`: (verdict, detail).

    Verdicts: ok, auth (key refused), permission, model (not found), billing, rate (429),
    server (5xx, overloaded), network (no answer), request (another 4xx). Without a key, a
    dummy one still shows whether the API (or the gateway) answers: `auth` then means reached.
    """
    import anthropic

    base = base_url()
    client = anthropic.Anthropic(api_key=key or "sk-ant-ytvault-doctor", base_url=base,
                                 max_retries=0,
                                 timeout=anthropic.Timeout(timeout, connect=min(timeout, 5.0)))
    try:
        client.messages.create(model=config.model, max_tokens=1,
                               messages=[{"role": "user", "content": "Reply with OK."}])
    except anthropic.APIStatusError as exc:
        message = str(getattr(exc, "message", "") or exc)
        message = _short(message.replace(key, "[API key]") if key else message, 200)
        status = exc.status_code
        if status == 401:
            return "auth", message
        if status == 403:
            return "permission", message
        if status == 404:
            return "model", message
        if status == 402 or "credit balance" in message.lower():
            return "billing", message
        if status == 429:
            return "rate", message
        if status >= 500:
            return "server", f"HTTP {status}: {message}"
        return "request", f"HTTP {status}: {message}"
    except (anthropic.APIConnectionError, anthropic.APITimeoutError) as exc:
        return "network", _short(str(exc.__cause__ or exc), 200)
    finally:
        client.close()
    return "ok", base


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
