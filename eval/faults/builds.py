"""Faults in the write path: kill -9 at random instants and at each fsync/rename, corruption, a full disk.

Every scenario starts from a verified index (version A) and a changed corpus (version B). After
the fault, the index must verify (``verify_index``) and serve A or B, never a mix and never
nothing; the next ordinary build must then leave B, verified, with no leftovers.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eval.faults.child import OPTIONS
from eval.faults.hashing import HashingEncoder
from indexer.build.builder import build_index
from indexer.store.layout import CURRENT, MANIFEST, live_version_dir
from indexer.store.reader import verify_index
from indexer.store.segments import EMBEDDINGS

CHILD = [sys.executable, "-m", "eval.faults.child"]
# The write steps strace can stop a build at: every fsync and every rename (the commit points).
WRITE_SYSCALLS = ("fsync", "rename", "renameat", "renameat2")
CHANGED_ARTICLE_TAIL = "\n\nThe campaign appended this sentence, so the corpus has a second version."


@dataclass(slots=True)
class Row:
    """One line of the campaign's table."""

    scenario: str
    tries: int = 0
    failures: int = 0
    checked: str = ""
    notes: list[str] = field(default_factory=list)

    def fail(self, why: str) -> None:
        self.failures += 1
        if len(self.notes) < 3:
            self.notes.append(why)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Seeds for version A, the same with one article changed for version B, and both versions."""

    seeds_a: Path
    seeds_b: Path
    version_a: str
    version_b: str
    pristine: Path  # an index holding A, copied for each try


def prepare(seeds: Path, work: Path) -> Corpus:
    seeds_a, seeds_b = work / "seeds-a", work / "seeds-b"
    shutil.copytree(seeds, seeds_a)
    shutil.copytree(seeds, seeds_b)
    first = sorted(p for p in seeds_b.iterdir() if p.suffix in (".txt", ".md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + CHANGED_ARTICLE_TAIL, encoding="utf-8")
    pristine = work / "pristine"
    version_a = build_index(seeds_a, pristine, HashingEncoder(), OPTIONS).version
    probe = work / "probe-b"
    version_b = build_index(seeds_b, probe, HashingEncoder(), OPTIONS).version
    shutil.rmtree(probe)
    return Corpus(seeds_a, seeds_b, version_a, version_b, pristine)


def _fresh(corpus: Corpus, work: Path) -> Path:
    target = Path(tempfile.mkdtemp(dir=work)) / "index"
    shutil.copytree(corpus.pristine, target)
    return target


def _check_after_fault(row: Row, index: Path, corpus: Corpus, allowed: set[str], label: str) -> None:
    health = verify_index(index)
    if not health.ok:
        row.fail(f"{label}: left a damaged index: {health.problem}")
        return
    if health.version not in allowed:
        row.fail(f"{label}: serves {health.version}, expected one of {sorted(allowed)}")
        return
    build = subprocess.run([*CHILD, str(corpus.seeds_b), str(index)], capture_output=True, text=True, timeout=300)
    after = verify_index(index)
    if build.returncode != 0 or not after.ok or after.version != corpus.version_b or after.leftovers:
        row.fail(f"{label}: the next build did not end clean ({build.stderr.strip()[:120]}; {after})")


def kill_at_random_instants(corpus: Corpus, work: Path, *, tries: int, seed: int) -> Row:
    """Start a build of B over A and kill -9 it after a random delay within a build's duration."""
    row = Row("kill -9 of a build at a random instant")
    index = _fresh(corpus, work)
    started = time.perf_counter()
    subprocess.run([*CHILD, str(corpus.seeds_b), str(index)], check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - started
    rng = random.Random(seed)
    for attempt in range(tries):
        index = _fresh(corpus, work)
        delay = rng.uniform(0, duration)
        process = subprocess.Popen([*CHILD, str(corpus.seeds_b), str(index)], stdout=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
        row.tries += 1
        _check_after_fault(row, index, corpus, {corpus.version_a, corpus.version_b}, f"try {attempt} at {delay:.2f}s")
    row.checked = f"verified A or B after the kill (build takes {duration:.1f} s); next build clean"
    return row


def _syscall_count(corpus: Corpus, work: Path, syscall: str) -> int:
    index = _fresh(corpus, work)
    trace = work / f"count-{syscall}.txt"
    command = ["strace", "-f", "-qq", "-c", "-o", str(trace), "-e", f"trace={syscall}", "--"]
    subprocess.run([*command, *CHILD, str(corpus.seeds_b), str(index)], check=True, capture_output=True, timeout=300)
    for line in trace.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[-1] == syscall:
            return int(parts[3])
    return 0


def kill_at_every_write_step(corpus: Corpus, work: Path) -> Row:
    """With strace, kill -9 the build exactly as it enters its n-th fsync or rename, for every n."""
    row = Row("kill -9 at every fsync and rename")
    if shutil.which("strace") is None:
        row.checked = "skipped: strace is not installed (apt-get install strace)"
        return row
    counts = {syscall: _syscall_count(corpus, work, syscall) for syscall in WRITE_SYSCALLS}
    for syscall, count in counts.items():
        for n in range(1, count + 1):
            index = _fresh(corpus, work)
            inject = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}"]
            inject += ["-e", f"inject={syscall}:signal=KILL:when={n}", "--"]
            command = [*inject, *CHILD, str(corpus.seeds_b), str(index)]
            result = subprocess.run(command, capture_output=True, timeout=300)
            row.tries += 1
            if result.returncode == 0:
                row.fail(f"{syscall} #{n}: the build was not stopped")
                continue
            _check_after_fault(row, index, corpus, {corpus.version_a, corpus.version_b}, f"{syscall} #{n}")
    steps = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    row.checked = f"each of {steps} in a build: verified A or B after, next build clean"
    return row


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    if data:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _delete(path: Path) -> None:
    path.unlink()


def _nan(path: Path) -> None:
    """NaN in the vectors with the manifest re-signed: only the content check can catch it."""
    import hashlib

    import msgspec

    from indexer.models import FileEntry, Manifest

    vectors = np.load(path)
    vectors[0, 0] = np.nan
    np.save(path, vectors, allow_pickle=False)
    manifest_path = path.parent / MANIFEST
    manifest = msgspec.json.decode(manifest_path.read_bytes(), type=Manifest)
    files = dict(manifest.files)
    files[path.name] = FileEntry(bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    manifest_path.write_bytes(msgspec.json.encode(msgspec.structs.replace(manifest, files=files)))


DAMAGE: dict[str, Callable[[Path], None]] = {"flip a byte": _flip, "truncate": _truncate, "delete": _delete}
POINTER_DAMAGE = {"empty": b"", "not UTF-8": b"\xff\xfe\x80", "a missing folder": b"v-0000000000000000\n"}


def corrupt_each_file_kind(corpus: Corpus, work: Path) -> Row:
    """Damage every file of the live version (and CURRENT); it must be detected, and a build must repair it."""
    row = Row("corruption of each file kind")
    names = sorted(p.relative_to(live_version_dir(corpus.pristine)).as_posix() for p in
                   live_version_dir(corpus.pristine).rglob("*") if p.is_file())  # fmt: skip
    cases: list[tuple[str, Callable[[Path], None], str]] = [(n, f, d) for n in names for d, f in DAMAGE.items()]
    cases.append((EMBEDDINGS, _nan, "NaN, manifest re-signed"))
    for name, damage, label in cases:
        index = _fresh(corpus, work)
        damage(live_version_dir(index) / name)
        _expect_detected_and_repaired(row, index, corpus, f"{name}: {label}")
    for label, content in POINTER_DAMAGE.items():
        index = _fresh(corpus, work)
        (index / CURRENT).write_bytes(content)
        _expect_detected_and_repaired(row, index, corpus, f"CURRENT: {label}")
    row.checked = f"{len(names)} files x {len(DAMAGE)} damages, NaN vectors, 3 broken CURRENTs: detected, then repaired"
    return row


def _expect_detected_and_repaired(row: Row, index: Path, corpus: Corpus, label: str) -> None:
    row.tries += 1
    if verify_index(index).ok:
        row.fail(f"{label}: not detected")
        return
    # In-process: a damaged file is not a crash, so the build needs no process of its own.
    build_index(corpus.seeds_a, index, HashingEncoder(), OPTIONS)
    after = verify_index(index)
    if not after.ok or after.version != corpus.version_a:
        row.fail(f"{label}: not repaired ({after.problem})")


def full_disk(corpus: Corpus, work: Path, *, factors: tuple[float, ...] = (1.1, 1.4, 1.7, 1.95)) -> Row:
    """Build B over A on a tmpfs too small for both, in a private mount namespace (needs root)."""
    row = Row("full disk during a build (tmpfs)")
    if shutil.which("unshare") is None:
        row.checked = "skipped: unshare is not available"
        return row
    size = sum(p.stat().st_size for p in corpus.pristine.rglob("*") if p.is_file())
    files = sum(1 for _ in corpus.pristine.rglob("*"))
    # tmpfs rounds every file up to a page.
    footprint = size + files * 4096
    refused = 0
    for factor in factors:
        mount_point = Path(tempfile.mkdtemp(dir=work))
        limit_kib = int(footprint * factor / 1024) + 1
        index = mount_point / "index"
        script = (
            f"mount -t tmpfs -o size={limit_kib}k tmpfs {mount_point} && "
            f"cp -r {corpus.pristine} {index} && "
            f"{' '.join(CHILD)} {corpus.seeds_b} {index}; "
            f"echo exit=$?; {sys.executable} -m eval.faults.verify {index}"
        )
        result = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if "Operation not permitted" in result.stderr or "permission denied" in result.stderr.lower():
            row.checked = f"skipped: no private tmpfs here ({result.stderr.strip()[:80]})"
            return row
        row.tries += 1
        lines = result.stdout.strip().splitlines()
        exit_line = next((line for line in lines if line.startswith("exit=")), "exit=?")
        verdict = lines[-1] if lines else ""
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        built = exit_line == "exit=0"
        wanted = corpus.version_b if built else corpus.version_a
        if not verdict.startswith(f"ok {wanted}") or verdict.endswith("leftovers"):
            row.fail(f"x{factor}: {exit_line}, index after: {verdict!r}")
        elif not built and (len(errors) != 1 or "No space left" not in errors[0]):
            row.fail(f"x{factor}: the failed build did not say one line about space: {errors[:3]}")
        refused += 0 if built else 1
    row.checked = (
        f"tmpfs of {', '.join(f'{f}x' for f in factors)} the index: {refused} builds hit ENOSPC and said so in one "
        "line, A stayed live and verified, staging removed; B when it fit"
    )
    return row
