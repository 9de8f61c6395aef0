"""What synchronous=FULL costs a write on SQLite, against NORMAL: one run, as a ratio.

Each mode gets a fresh database under bench/out/ (on the repository's disk, so that fsync
means what it means in production) and the same sequence of article writes through the app
(POST, then PATCH with If-Match), timed one by one and interleaved between the two modes.
Prints the median and p90 latency per mode and FULL's median over NORMAL's.

    .venv/bin/python -m bench.write_durability [--writes 200]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from api import create_app
from api.store import Store

OUT = Path(__file__).resolve().parent / "out" / "write_durability"


def article(i: int) -> dict:
    return {
        "headline": f"Meldung Nummer {i}",
        "lead": "Ein kurzer Vorspann für die Messung.",
        "body_text": "Erster Absatz.\nZweiter Absatz.",
        "status": "published",
    }


class Writer:
    """An app on a fresh database with synchronous=`mode`, and a token to write with."""

    def __init__(self, mode: str):
        self.folder = OUT / mode.lower()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        url = f"sqlite:///{self.folder / 'newswire.sqlite3'}"
        Store(url, secret="bench").upgrade()
        self.app = create_app(
            {"DATABASE_URL": url, "CURSOR_SECRET": "bench", "SQLITE_SYNCHRONOUS": mode}
        )
        self.client = self.app.test_client()
        token = self.app.extensions["store"].create_token("bench")
        self.auth = {"Authorization": f"Bearer {token}"}
        self.times: list[float] = []

    def write_twice(self, i: int) -> None:
        """One create and one merge patch, each timed."""
        start = time.perf_counter()
        created = self.client.post("/v1/articles", json=article(i), headers=self.auth)
        self.times.append(time.perf_counter() - start)
        assert created.status_code == 201, created.data
        headers = {**self.auth, "If-Match": created.headers["ETag"]}
        path = f"/v1/articles/{created.get_json()['id']}"
        start = time.perf_counter()
        changed = self.client.patch(path, json={"lead": "Neu."}, headers=headers)
        self.times.append(time.perf_counter() - start)
        assert changed.status_code == 200, changed.data

    def close(self) -> None:
        self.app.extensions["store"].close()
        shutil.rmtree(self.folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    writers = {mode: Writer(mode) for mode in ("NORMAL", "FULL")}
    for i in range(args.writes // 2):  # interleaved, so that other load hits both alike
        for writer in writers.values():
            writer.write_twice(i)
    medians = {}
    for mode, writer in writers.items():
        writer.close()
        times = sorted(writer.times)
        medians[mode] = statistics.median(times)
        p90 = times[int(len(times) * 0.9)]
        print(f"{mode:6}  median {medians[mode] * 1000:6.2f} ms   p90 {p90 * 1000:6.2f} ms")
    print(f"FULL / NORMAL, median write latency: {medians['FULL'] / medians['NORMAL']:.2f}")


if __name__ == "__main__":
    main()
