"""Entry by an explicit start: the client's address, and starts counted per address (in the shared cache)."""

# A GET of the entry link used to create a participant, so link previews, crawlers and a loop of anonymous GETs
# made participants (300 in 2.9 s) and held quota slots. Now a GET shows a landing page and only its POST starts;
# starts are counted per client address in Django's cache, which is Redis when REDIS_URL is set, so every process
# counts the same starts (without Redis, each process counts its own: the single-process default).

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a request came from: REMOTE_ADDR, or the trusted proxy's header when MUG_PROXY_ADDRESS_HEADER
    names one (the rightmost address in it, the one the proxy itself added; the rest a client can forge)."""
    header = settings.MUG_PROXY_ADDRESS_HEADER
    if header:
        forwarded = request.headers.get(header, "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


def entry_start_count(*, address: str) -> int | None:
    """Count one start from `address`: None if it may start, else the seconds until it may (MUG_ENTRY_LIMIT starts
    per MUG_ENTRY_WINDOW_S seconds per address, in fixed windows; a limit of 0 counts nothing)."""
    limit, window = settings.MUG_ENTRY_LIMIT, settings.MUG_ENTRY_WINDOW_S
    if limit <= 0:
        return None
    now = time.time()
    current = int(now // window)
    key = f"mug:entry:{current}:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired or was evicted between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    if count <= limit:
        return None
    return max(1, int((current + 1) * window - now) + 1)
