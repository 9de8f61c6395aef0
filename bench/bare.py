"""The ceiling: a bare Flask app that answers constant bytes of a requested size."""

from flask import Flask, Response

app = Flask(__name__)
BODIES: dict[int, bytes] = {}


@app.get("/bytes/<int:size>")
def constant(size: int) -> Response:
    body = BODIES.get(size)
    if body is None:
        body = BODIES[size] = b"x" * size
    return Response(body, mimetype="application/octet-stream")


@app.get("/not-modified")
def not_modified() -> Response:
    return Response(status=304, headers={"ETag": '"constant"'})
