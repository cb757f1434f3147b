"""Download the offline wheel set for the Kaggle image and write its manifest (``make wheels``).

    python offline_wheels/download.py --requirements offline_wheels/requirements.txt \
        --python-version 3.12 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 ...

``pip download --only-binary=:all: --no-deps`` for the given Python version and platforms (Kaggle's,
not this machine's; pip does not widen an explicit ``--platform`` to older manylinux tags, so list
every tag the image accepts), then ``manifest.json``: the target, every wheel's name, version, size and
sha256, and the total. It refuses a folder holding two versions of one package (pip would pick
one at install time, silently) and a wheel that the requirements do not name. ``--manifest-only``
skips the download (for a folder filled by other means, e.g. ``pip wheel``). The install-side
``requirements.txt`` written beside the wheels pins exactly what is in the folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

MANIFEST = "manifest.json"
REQUIREMENTS = "requirements.txt"


def normalize(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name_version(path: Path) -> tuple[str, str]:
    """``(normalized name, version)`` from a wheel file name (PEP 427)."""
    parts = path.name[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise ValueError(f"{path.name} is not a wheel file name (name-version[-build]-python-abi-platform.whl)")
    return normalize(parts[0]), parts[1]


def pinned(requirements: Path) -> dict[str, str]:
    """``{normalized name: version}`` from ``name==version`` lines; anything else is an error."""
    pins = {}
    for number, line in enumerate(requirements.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not version.strip():
            raise ValueError(f"{requirements}:{number}: pin every package exactly (name==version), got {line!r}")
        pins[normalize(name.strip())] = version.strip()
    return pins


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(dest: Path, python_version: str, platforms: list[str], pins: dict[str, str] | None = None) -> dict:
    """Check the wheels in ``dest`` and write ``manifest.json`` and the install ``requirements.txt``.

    Raises:
        ValueError: two versions of one package, a wheel the pins do not name or a pin with no wheel.
    """
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise ValueError(f"no wheels in {dest}")
    seen: dict[str, tuple[str, str]] = {}
    files = []
    for path in wheels:
        name, version = wheel_name_version(path)
        if name in seen and seen[name][0] != version:
            raise ValueError(f"two versions of {name} in {dest}: {seen[name][1]} and {path.name}; delete one")
        seen[name] = (version, path.name)
        files.append({"file": path.name, "name": name, "version": version, "bytes": path.stat().st_size, "sha256": sha256(path)})
    if pins is not None:
        for name, (version, file) in seen.items():
            if pins.get(name) != version:
                raise ValueError(f"{file} is not pinned in the requirements (pins say {name}=={pins.get(name)}); delete it or pin it")
        missing = sorted(f"{n}=={v}" for n, v in pins.items() if n not in seen)
        if missing:
            raise ValueError(f"no wheel for {', '.join(missing)} in {dest}")
    manifest = {
        "target": {"python_version": python_version, "platforms": platforms},
        "files": files,
        "total_bytes": sum(f["bytes"] for f in files),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (dest / REQUIREMENTS).write_text("".join(f"{n}=={v}\n" for n, (v, _) in sorted(seen.items())))
    return manifest


def download(requirements: Path, dest: Path, python_version: str, platforms: list[str]) -> None:
    """Binary wheels only, for the target, no dependency resolution (the pins are the closure)."""
    command = [
        sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps",
        "--python-version", python_version, *(f"--platform={p}" for p in platforms),
        "-r", str(requirements), "-d", str(dest),
    ]  # fmt: skip
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, default=Path(__file__).with_name("requirements.txt"))
    parser.add_argument("--python-version", required=True, help="the Kaggle image's Python, e.g. 3.11")
    parser.add_argument("--platform", action="append", required=True, help="pip platform tag, e.g. manylinux_2_28_x86_64 (repeatable)")
    parser.add_argument("--dest", type=Path, default=Path(__file__).with_name("wheels"))
    parser.add_argument("--manifest-only", action="store_true", help="check and describe the folder, download nothing")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    pins = pinned(args.requirements)
    if not args.manifest_only:
        download(args.requirements, args.dest, args.python_version, args.platform)
    try:
        manifest = write_manifest(args.dest, args.python_version, args.platform, pins)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for entry in sorted(manifest["files"], key=lambda f: -f["bytes"])[:5]:
        print(f"{entry['bytes'] / 2**20:9.1f} MiB  {entry['file']}")
    print(f"{len(manifest['files'])} wheels, {manifest['total_bytes'] / 2**20:.1f} MiB in {args.dest}; manifest {args.dest / MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
