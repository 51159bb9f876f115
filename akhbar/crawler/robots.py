"""scrapy's robots.txt middleware, with every request waiting for robots.txt checked.

In scrapy 2.19 the requests that arrive while a host's robots.txt is being downloaded all await
one Deferred through ``maybe_deferred_to_future``; Twisted's ``Deferred.asFuture`` callback
returns None, so only the first waiter gets the parser and the others get None — "no robots.txt,
everything allowed". A single-process crawl rarely notices (the first requests to a host are
its feeds and start pages), but a distributed worker that starts on a queue left by others sends
many article requests to a host at once, and robots-forbidden pages were fetched. The parser is
stored on the middleware before the Deferred fires, so it is read back from there.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobots
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(_ScrapyRobots):
    """Drop-in replacement for ``scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware``."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser: RobotParser | None = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(stored, Deferred):
                return stored  # the parser, or None after a robots.txt download error
        return parser
