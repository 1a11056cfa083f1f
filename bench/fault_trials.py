"""Fault trials of the results store: kills, aliases and races, each counted as runs lost or trained twice.

    python bench/fault_trials.py [--rounds 2] [--kills 5] [--races 100] [--ray]

Every trial uses the real CLI: a smoke sweep of Table 1 on digits (one seed, 30 runs) into a fresh folder.
- kills: a sweep SIGKILLed at ``--kills`` random moments, restarted each time, then run to the end (``--rounds`` times);
- together: two sweeps started at once on one file;
- alias: one sweep on the file, one on a symlink to it, at once;
- takeover: a claim left by a killed sweep, tried at the same instant by 2 and by 4 processes (``--races`` times
  each): exactly one may win;
- ray (``--ray``): a ``--workers 2`` sweep's driver SIGKILLed mid-sweep, then resumed without Ray.
Each line reports the rows stored, the distinct runs among them (lost = 30 - distinct) and the runs stored more than
once (duplicated). Writes the table to stdout as Markdown.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import fakes  # noqa: E402

from dmlvae.experiments import store  # noqa: E402

RUNS = 30


def cmd(results, *extra):
    return [sys.executable, "-m", "dmlvae", *fakes.smoke_sweep(results, "--threads", 1, *extra)]


def counts(results) -> dict:
    """Rows stored, distinct runs, runs lost, runs stored more than once (every line read, superseded ones too)."""
    ids = collections.Counter(store.Store.row_id(r) for r in store.Store(results).rows(warn=False))
    return {
        "rows": sum(ids.values()),
        "distinct": len(ids),
        "lost": RUNS - len(ids),
        "duplicated": sum(1 for n in ids.values() if n > 1),
    }


def run_to_end(results, *extra):
    subprocess.run(cmd(results, *extra), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kills(folder: Path, n_kills: int, rng: random.Random) -> dict:
    results = folder / "r.jsonl"
    for _ in range(n_kills):
        p = subprocess.Popen(cmd(results), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 8.0))  # start-up (imports, data) takes about 2 s; runs about 0.3 s each
        p.send_signal(signal.SIGKILL)
        p.wait()
    run_to_end(results)
    return counts(results)


def together(folder: Path, alias: bool) -> dict:
    results = folder / "r.jsonl"
    results.write_text("")
    other = results
    if alias:
        other = folder / "link.jsonl"
        other.symlink_to(results)
    procs = [
        subprocess.Popen(cmd(p), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for p in (results, other)
    ]
    outs = [p.communicate()[0] for p in procs]
    import json

    trained = [json.loads(o)["ok"] + json.loads(o)["failed"] for o in outs]
    return {**counts(results), "split": "/".join(map(str, trained))}


def _claim_at_once(path, rid, barrier, out):
    s = store.Store(path)
    barrier.wait()
    out.put(s.claim(rid))
    barrier.wait()  # stay alive until all have tried: a live process's claim is not taken over


def takeover(folder: Path, processes: int, trials: int) -> dict:
    ctx = multiprocessing.get_context("fork")
    f = folder / "r.jsonl"
    rid = ("1", "smoke", "k")
    wins = collections.Counter()
    for _ in range(trials):
        s = store.Store(f)
        s.claims.mkdir(parents=True, exist_ok=True)
        s._claim_path(rid).write_text(f"999999999 {socket.gethostname()}")  # its sweep was killed
        barrier, out = ctx.Barrier(processes), ctx.Queue()
        procs = [ctx.Process(target=_claim_at_once, args=(f, rid, barrier, out)) for _ in range(processes)]
        for p in procs:
            p.start()
        got = sum(out.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(timeout=60)
        wins[got] += 1
    return {
        "trials": trials,
        "exactly one won": wins[1],
        "more than one won": sum(v for k, v in wins.items() if k > 1),
        "none won": wins[0],
    }


def ray_driver_kill(folder: Path) -> dict:
    results = folder / "r.jsonl"
    p = subprocess.Popen(
        cmd(results, "--workers", 2), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 300
    while time.time() < deadline and (not results.exists() or len(results.read_text().splitlines()) < 6):
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGKILL)  # the driver and the Ray processes it started
    p.wait()
    run_to_end(results)
    return counts(results)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--races", type=int, default=100)
    ap.add_argument("--ray", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    lines = ["| trial | rows | distinct runs | lost | duplicated | note |", "|---|---|---|---|---|---|"]

    def row(name, c, note=""):
        lines.append(f"| {name} | {c['rows']} | {c['distinct']} | {c['lost']} | {c['duplicated']} | {note} |")
        print(lines[-1], file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="dmlvae-faults-") as tmp:
        tmp = Path(tmp)
        for r in range(a.rounds):
            d = tmp / f"kills{r}"
            d.mkdir()
            row(f"{a.kills} random SIGKILLs, round {r + 1}", kills(d, a.kills, rng))
        for alias in (False, True):
            d = tmp / f"together-{alias}"
            d.mkdir()
            c = together(d, alias)
            row(
                "a sweep on the file and one on a symlink to it" if alias else "two sweeps at once on one file",
                c,
                f"trained {c['split']}",
            )
        if a.ray:
            d = tmp / "ray"
            d.mkdir()
            row("a --workers 2 driver SIGKILLed, resumed", ray_driver_kill(d))
        lines.append("")
        lines.append("| claim takeover race | trials | exactly one won | more than one won | none won |")
        lines.append("|---|---|---|---|---|")
        for n in (2, 4):
            d = tmp / f"race{n}"
            d.mkdir()
            t = takeover(d, n, a.races)
            lines.append(
                f"| {n} processes | {t['trials']} | {t['exactly one won']} | {t['more than one won']} | "
                f"{t['none won']} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
