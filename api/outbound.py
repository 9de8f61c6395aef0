"""HTTP requests to addresses users give us (webhooks), kept off our own network.

A URL is refused unless it is http(s) and every address its host resolves to is public: no
loopback, private, link-local, shared, multicast or reserved address, so a webhook cannot make
the server call into the network it runs in. `post` resolves and checks at every request and
connects to the address it checked (a later DNS answer cannot swap in another), sends no
cookies and follows no redirects. `allow_private` (WEBHOOK_ALLOW_PRIVATE) lifts the address
rule for tests and local development.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_RESPONSE = 64 * 1024  # bytes of a receiver's answer that are read (and thrown away)


class Refused(ValueError):
    """The URL may not be called; the message says why."""


def checked_address(url: str, allow_private: bool) -> str:
    """The address to connect to for `url`, after checking every address its host has."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Must be an absolute http(s) URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        raise Refused(f"The host {parts.hostname!r} does not resolve.") from exc
    addresses = [info[4][0] for info in infos]
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise Refused(
                    f"The host {parts.hostname!r} resolves to {address}, which is not a"
                    " public address."
                )
    return addresses[0]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> int:
    """POST `body` to `url`; the response's status. Raises Refused, or OSError (including
    timeouts) when the receiver cannot be reached or stops answering."""
    address = checked_address(url, allow_private)
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=timeout)

    def connect_to_checked(target, timeout, source_address=None):
        return socket.create_connection((address, target[1]), timeout, source_address)

    connection._create_connection = connect_to_checked  # TLS still checks the host name
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE)
        return response.status
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from exc
    finally:
        connection.close()
