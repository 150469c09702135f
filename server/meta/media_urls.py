"""Which media URLs a message may keep: https only, plain http only from a fake Meta.

Instagram sends its media as https CDN links. A link with another scheme (javascript:,
data:, a plain-http host) in a webhook is not Instagram's and must never become a link or
a picture in the inbox, so normalisation drops it (the message itself is kept) and logs
which one. Plain http is allowed only when META_GRAPH_URL is http, that is with the fake
Graph API of the tests and the demo: then for its host, and for the app's own host (the
demo serves its pictures itself).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("wazify.meta")


@dataclass(frozen=True)
class MediaUrlPolicy:
    # Hostnames plain http is accepted from (empty in production).
    http_hosts: frozenset[str] = frozenset()

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
        except ValueError:
            return False
        if not host:
            return False
        scheme = parts.scheme.lower()
        return scheme == "https" or (scheme == "http" and host in self.http_hosts)

    def keep(self, url: str | None, where: str) -> str | None:
        """`url` if allowed; None (and a warning naming `where` and the scheme) if not."""
        if url is None or self.allows(url):
            return url
        scheme = urlsplit(url.strip()).scheme.lower() or "no scheme"
        log.warning(
            "refused a %s URL in %s (%s): dropped, the message is kept", scheme, where, _host(url)
        )
        return None

    def keep_referral(self, raw: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
        """A referral as Meta sent it, without an ad picture or video URL this refuses."""
        ads = raw.get("ads_context_data") if raw is not None else None
        if raw is None or not isinstance(ads, dict):
            return raw
        refused = {
            key
            for key in ("photo_url", "video_url")
            if isinstance(ads.get(key), str) and self.keep(ads[key], where) is None
        }
        if not refused:
            return raw
        # A copy: the decoded body's own dict stays as received.
        kept = {key: value for key, value in ads.items() if key not in refused}
        return {**raw, "ads_context_data": kept}


HTTPS_ONLY = MediaUrlPolicy()


def media_url_policy(graph_url: str, public_url: str) -> MediaUrlPolicy:
    """The policy for an installation: HTTPS_ONLY unless Meta is the fake (http) one."""
    graph = urlsplit(graph_url)
    if graph.scheme != "http":
        return HTTPS_ONLY
    hosts = {graph.hostname, urlsplit(public_url).hostname}
    return MediaUrlPolicy(frozenset(host for host in hosts if host))


def _host(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or "no host"
    except ValueError:
        return "unreadable host"
