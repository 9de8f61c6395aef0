"""Issue 10.2: the render cache is keyed by the parameters a view knows, and bounded for real."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from lxml import etree

from api.caching import RenderCache, Rendered

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(app) -> int:
    return len(app.extensions["render_cache"].entries)


def test_ignored_parameters_make_no_new_entries(app, client, create):
    create()
    client.get("/v1/changes?since=0")
    before = entries(app)
    pad = "p" * 3900
    for i in range(30):
        response = client.get(f"/v1/changes?since=0&pad={pad}&n={i}")
        assert response.status_code == 200 and len(response.get_json()["changes"]) == 1
        client.get(f"/feeds/rss.xml?n={i}")
        client.get(f"/v1/articles?limit=20&n={i}")
    assert entries(app) <= before + 2  # one feed, one list: whatever the junk


def test_ignored_parameters_are_served_before_flask(app, client, create):
    create()
    assert client.get("/v1/changes?since=0").status_code == 200

    def flask_must_not_run(environ, start_response):
        raise AssertionError("ServeCached should have answered")

    app.wsgi_app.flask = flask_must_not_run
    response = client.get("/v1/changes?n=1&since=0&pad=x")
    assert response.status_code == 200 and len(response.get_json()["changes"]) == 1


def test_known_parameters_count_however_they_are_spelled(client, create):
    for day in range(1, 4):
        create(published_at=f"2026-11-0{day}T10:00:00Z")
    assert len(client.get("/v1/articles?limit=1").get_json()["items"]) == 1
    # the same parameter, its name percent-encoded: a different page, not the cached one
    assert len(client.get("/v1/articles?%6Cimit=2").get_json()["items"]) == 2
    assert len(client.get("/v1/articles?limit=1&limit=3").get_json()["items"]) == 1


def test_representations_do_not_echo_ignored_parameters(client, create):
    for day in range(1, 4):
        create(published_at=f"2026-11-0{day}T10:00:00Z")
    atom = etree.fromstring(client.get("/feeds/atom.xml?junk=1&limit=2").data)
    self_href = atom.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_href == "http://localhost/feeds/atom.xml?limit=2"
    assert client.get("/feeds/feed.json?junk=2").get_json()["feed_url"] == (
        "http://localhost/feeds/feed.json"
    )
    link = client.get("/v1/articles?junk=1&limit=1&tag=Haushalt").headers["Link"]
    query = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    assert set(query) == {"limit", "tag", "cursor"}


def rendered(body: bytes, header_bytes: int = 0) -> Rendered:
    headers = (("Content-Type", "application/json"), ("X-Pad", "h" * header_bytes))
    return Rendered(body, '"e"', None, headers, 0)


def test_size_bound_counts_keys_and_headers():
    cache = RenderCache(max_bytes=100_000, max_entries=10_000)
    for i in range(1000):
        cache.put((i, "/v1/changes", (("q", "k" * 1000),), "base"), rendered(b"{}", 1000))
    assert cache.size <= 100_000
    assert len(cache.entries) < 50  # each entry counts over 2,000 bytes, not 2


def test_entries_are_capped_in_number():
    cache = RenderCache(max_bytes=1 << 30, max_entries=100)
    for i in range(1000):
        cache.put((i, "/", (), "base"), rendered(b"x"))
    assert len(cache.entries) == 100
    assert cache.get((999, "/", (), "base")) is not None and cache.get((0, "/", (), "base")) is None


def test_parameters_of_a_path_with_a_variable_part_count(client, create):
    """`/v1/articles/<key>` reads `format`: each format its own entry, junk none of its own."""
    url = f"/v1/articles/{create()['id']}"
    for _ in range(2):  # rendered, then from the cache
        plain, ninjs = client.get(url), client.get(url + "?format=ninjs")
        assert plain.status_code == ninjs.status_code == 200
        assert "headline" in plain.get_json() and "headline" not in ninjs.get_json()
        assert client.get(url + "?junk=1&format=ninjs").data == ninjs.data
        assert client.get(url + "?limit=3").data == plain.data


def test_pages_of_the_html_listings_are_not_served_from_the_first(client, create):
    for i in range(23):
        create(headline=f"Meldung {i}", published_at=f"2026-11-{i + 1:02d}T10:00:00Z")
    first = client.get("/")
    link = first.data.split(b'rel="next" href="')[-1].split(b'"')[0].decode()
    later = client.get(link.removeprefix("http://localhost").replace("&amp;", "&"))
    assert later.status_code == 200 and later.data != first.data
    assert b"Meldung 0" in later.data and b"Meldung 0" not in first.data


def test_a_view_reading_an_undeclared_query_is_not_stored(app, client, caplog):
    """The safety net under the declarations: a variant the key cannot tell apart is never
    served to another request."""
    from flask import Response, request

    from api.caching import cached

    @app.get("/test-undeclared")
    @cached("API_MAX_AGE")
    def undeclared():
        return Response(request.args.get("v", "none"))

    assert client.get("/test-undeclared?v=1").data == b"1"
    assert client.get("/test-undeclared?v=2").data == b"2"
    assert "declares no parameters" in caplog.text
