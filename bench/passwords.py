"""Password hashing benchmark: what a sign-in's Argon2id costs, alone and in a burst.

    python bench/passwords.py                      # 16 at once through the product's pool
    python bench/passwords.py --burst 32 --compare-cryptography

Times one hash and one verification (wall clock), then a burst of verifications started
together through wazify.lib.passwords (its bounded thread pool and deadline, as the sign-in
route uses them): the whole burst's time and each call's. With --compare-cryptography it
also runs two of `cryptography`'s Argon2id derivations on two threads at once, the case that
hung with cryptography 50.0.2 (bundled OpenSSL 4.0.3), and says whether they returned.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wazify.lib import passwords

PASSWORD = "correct horse battery staple"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=16, help="verifications started at once")
    parser.add_argument("--compare-cryptography", action="store_true")
    parser.add_argument("--wait", type=float, default=15, help="seconds to wait for those two")
    return parser.parse_args()


def timed(func, *args) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


async def burst(size: int, encoded: str) -> tuple[float, list[float]]:
    async def one() -> float:
        start = time.perf_counter()
        assert await passwords.verify_password_async(PASSWORD, encoded)
        return time.perf_counter() - start

    start = time.perf_counter()
    each = await asyncio.gather(*(one() for _ in range(size)))
    return time.perf_counter() - start, sorted(each)


def cryptography_pair(wait: float) -> int:
    """How many of two simultaneous derivations are still running after `wait` seconds."""
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    def derive() -> None:
        Argon2id(
            salt=secrets.token_bytes(16), length=32, iterations=3, lanes=4, memory_cost=65536
        ).derive(PASSWORD.encode())

    threads = [threading.Thread(target=derive, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + wait
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in threads)


def main() -> None:
    args = parse_args()
    encoded = passwords.hash_password(PASSWORD)
    print(f"pool: {passwords._MAX_CONCURRENT_HASHES} threads, {passwords._MAX_PENDING} pending")
    print(f"one hash:          {timed(passwords.hash_password, PASSWORD):.3f} s")
    print(f"one verification:  {timed(passwords.verify_password, PASSWORD, encoded):.3f} s")
    total, each = asyncio.run(burst(args.burst, encoded))
    print(
        f"{args.burst} at once:       {total:.2f} s in all; per call median"
        f" {statistics.median(each):.2f} s, worst {each[-1]:.2f} s"
    )
    if args.compare_cryptography:
        stuck = cryptography_pair(args.wait)
        verdict = f"{stuck} of 2 still running after {args.wait:g} s" if stuck else "returned"
        print(f"cryptography, two at once: {verdict}")


if __name__ == "__main__":
    main()
