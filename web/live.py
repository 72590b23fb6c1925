"""Live progress: request pages subscribe to server-sent events over Litestar channels.

After a handler changes a request (and its transaction has committed) it calls
:func:`announce`; every page showing that request gets a ``changed`` event and htmx
re-fetches the live part of the page. Memory backend in the embedded default (one
process); the Redis backend when ``HOUQIN_REDIS_URL`` is set, so every worker hears it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage

from core.channels import REDIS_KEY_PREFIX, request_channel
from core.config import Settings
from core.lifecycle import inbox
from web.auth import current_actor

KEEPALIVE_SECONDS = 25.0


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        backend: Any = RedisChannelsPubSubBackend(
            redis=Redis.from_url(settings.redis_url), key_prefix=REDIS_KEY_PREFIX
        )
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


def announce(request: Request[Any, Any, Any], org_id: int, number: str) -> None:
    """Tell every open page of this request that it changed (call after commit)."""
    request.app.plugins.get(ChannelsPlugin).publish(number, request_channel(org_id, number))


async def _events(
    channels: ChannelsPlugin, channel: str
) -> AsyncGenerator[ServerSentEventMessage, None]:
    async with channels.start_subscription([channel]) as subscriber:
        yield ServerSentEventMessage(event="ready", data="", retry=3000)
        events = subscriber.iter_events().__aiter__()
        while True:
            try:
                await asyncio.wait_for(events.__anext__(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            except StopAsyncIteration:
                return
            yield ServerSentEventMessage(event="changed", data="")


@get("/requests/{number:str}/live", include_in_schema=False)
async def request_live(request: Request[Any, Any, Any], number: FromPath[str]) -> ServerSentEvent:
    """The event stream of one request, for whoever may see it (else 404)."""
    actor = current_actor(request)
    if await inbox.visible_request(actor, number) is None:
        raise NotFoundException()
    return event_stream(request, actor.org_id, number)


def event_stream(request: Request[Any, Any, Any], org_id: int, number: str) -> ServerSentEvent:
    """The ``changed`` events of one request (check the visitor may see it first)."""
    channels = request.app.plugins.get(ChannelsPlugin)
    return ServerSentEvent(_events(channels, request_channel(org_id, number)))


LIVE_HANDLERS = [request_live]
