"""The CPython workload of benches/harness/real.py: a mix of what Python programs spend time on
(integer loops, function calls, objects, dicts and strings, sorting, JSON), in the standard
library only. Prints one line of results, the same under any CPython 3 (the harness checks it
against the host's python3), so every engine can be checked to have done the same work.

usage: python workload.py N     (N >= 1 scales every part)
"""

import json
import sys


def sieve(limit):
    """Number of primes below limit."""
    flags = bytearray([1]) * limit
    flags[:2] = b"\0\0"
    for i in range(2, int(limit ** 0.5) + 1):
        if flags[i]:
            flags[i * i::i] = bytes(len(range(i * i, limit, i)))
    return sum(flags)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y

    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def scaled(self, k):
        return Vec(self.x * k, self.y * k)


def objects(n):
    acc = Vec(0, 0)
    for i in range(n):
        acc = acc.add(Vec(i, -i).scaled(3))
    return acc.x - acc.y


def words(n):
    """A word count over generated text, as (distinct words, most common word and its count)."""
    counts = {}
    seed = 12345
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        word = "w" + format(seed % 997, "x")
        counts[word] = counts.get(word, 0) + 1
    top = max(sorted(counts), key=lambda w: counts[w])
    return len(counts), top, counts[top]


def sorting(n):
    seed = 7
    values = []
    for _ in range(n):
        seed = (seed * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        values.append(seed >> 40)
    values.sort()
    return sum(v * (i + 1) for i, v in enumerate(values)) % 1_000_000_007


def round_trip(n):
    doc = [{"id": i, "name": f"item{i}", "tags": ["a", "b", str(i % 7)], "price": i * 0.25}
           for i in range(n)]
    text = json.dumps(doc, sort_keys=True)
    back = json.loads(text)
    return len(text), sum(d["price"] for d in back)


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 1
    results = [
        sieve(100_000 * n),
        fib(min(16 + n, 26)),
        objects(10_000 * n),
        words(15_000 * n),
        sorting(10_000 * n),
        round_trip(1_000 * n),
    ]
    print(" ".join(str(r) for r in results))


if __name__ == "__main__":
    main(sys.argv)
