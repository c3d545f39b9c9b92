"""Safe extraction: crafted malicious archives are refused before anything is written."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

import pytest
from storagetests import snapshot, tar_member, write_tar, write_zip

from tiffin.errors import StorageError, UnsafeArchive
from tiffin.storage import extract_archive

OK = tar_member("ok.txt", b"harmless, and first: it must not be written either")


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """``sandbox/outside/secret.txt`` and an (absent) target ``sandbox/deep/target``."""
    root = tmp_path / "sandbox"
    (root / "outside").mkdir(parents=True)
    (root / "outside" / "secret.txt").write_text("secret")
    (root / "deep").mkdir()
    return root


def malicious_tars(outside: Path) -> dict[str, list[tuple[tarfile.TarInfo, bytes]]]:
    sym, hard = tarfile.SYMTYPE, tarfile.LNKTYPE
    return {
        "absolute path": [OK, tar_member(str(outside / "planted.txt"), b"x")],
        "dot-dot": [OK, tar_member("../planted.txt", b"x")],
        "nested dot-dot": [OK, tar_member("sub/../../planted.txt", b"x")],
        "symlink to an absolute dir": [OK, tar_member("link", kind=sym, link=str(outside))],
        "symlink climbing out": [OK, tar_member("sub/link", kind=sym, link="../../../outside")],
        "hardlink to an absolute file": [
            OK, tar_member("hard", kind=hard, link=str(outside / "secret.txt"))],
        "hardlink climbing out": [
            OK, tar_member("hard", kind=hard, link="../outside/secret.txt")],
        "hardlink to a file not in the archive": [
            OK, tar_member("hard", kind=hard, link="etc/passwd")],
        "character device": [OK, tar_member("null", kind=tarfile.CHRTYPE)],
        "block device": [OK, tar_member("sda", kind=tarfile.BLKTYPE)],
        "fifo": [OK, tar_member("pipe", kind=tarfile.FIFOTYPE)],
        "symlink then write through it": [
            OK, tar_member("escape", kind=sym, link=str(outside)),
            tar_member("escape/planted.txt", b"x")],
        "write through a symlink defined later": [
            OK, tar_member("escape/planted.txt", b"x"),
            tar_member("escape", kind=sym, link="../../outside")],
        "write through an inside symlink": [
            OK, tar_member("real", kind=tarfile.DIRTYPE),
            tar_member("alias", kind=sym, link="real"), tar_member("alias/file", b"x")],
        "symlink chain out through another symlink": [
            OK, tar_member("p/q/b", kind=sym, link="../../t"),
            tar_member("p/q/a", kind=sym, link="b/../../..")],
        "a name that is a file and a symlink": [
            OK, tar_member("x", b"x"), tar_member("x", kind=sym, link="ok.txt")],
    }  # fmt: skip


CASES = list(malicious_tars(Path("/x")))


@pytest.mark.parametrize("case", CASES)
def test_malicious_tar_is_refused_and_nothing_is_written(sandbox: Path, case: str) -> None:
    outside = sandbox / "outside"
    archive = write_tar(sandbox.parent / "evil.tar.gz", malicious_tars(outside)[case])
    before = snapshot(sandbox)
    with pytest.raises(UnsafeArchive) as caught:
        extract_archive(archive, sandbox / "deep" / "target", label="s3://b/evil.tar.gz")
    assert caught.value.message.startswith("s3://b/evil.tar.gz: refusing member")
    assert snapshot(sandbox) == before | {"deep/target"}
    assert (outside / "secret.txt").read_text() == "secret"


def test_refusals_say_why(sandbox: Path) -> None:
    reasons = {
        "dot-dot": "'..' would climb out of the target",
        "absolute path": "absolute path",
        "symlink to an absolute dir": "links to the absolute path",
        "symlink climbing out": "links outside the target",
        "hardlink to a file not in the archive": "not a regular file of the archive",
        "character device": "device node",
        "fifo": "it is a fifo",
        "write through an inside symlink": "written through the symbolic link 'alias'",
        "symlink chain out through another symlink": "passes through the symbolic link 'p/q/b'",
    }
    for case, words in reasons.items():
        archive = write_tar(sandbox / f"{len(words)}.tar.gz", malicious_tars(sandbox)[case])
        with pytest.raises(UnsafeArchive) as caught:
            extract_archive(archive, sandbox / "target")
        assert words in caught.value.message, case
        assert caught.value.hint and "nothing was extracted" in caught.value.hint


ZIP_CASES = {
    "dot-dot": ("../planted.txt", b"x", stat.S_IFREG | 0o644),
    "absolute": ("/tmp/planted.txt", b"x", stat.S_IFREG | 0o644),
    "backslash dot-dot": ("..\\..\\planted.txt", b"x", stat.S_IFREG | 0o644),
    "symlink out": ("link", b"../../outside", stat.S_IFLNK | 0o777),
    "fifo": ("pipe", b"", stat.S_IFIFO | 0o644),
}


@pytest.mark.parametrize("case", list(ZIP_CASES))
def test_malicious_zip_is_refused_and_nothing_is_written(sandbox: Path, case: str) -> None:
    first = ("ok.txt", b"harmless", stat.S_IFREG | 0o644)
    archive = write_zip(sandbox.parent / "evil.zip", [first, ZIP_CASES[case]])
    before = snapshot(sandbox)
    with pytest.raises(UnsafeArchive):
        extract_archive(archive, sandbox / "deep" / "target")
    assert snapshot(sandbox) == before | {"deep/target"}
    assert not Path("/tmp/planted.txt").exists()


def test_a_sagemaker_model_tar_gz_extracts_into_the_target(models, tmp_path: Path) -> None:
    import joblib

    target = tmp_path / "model"
    extract_archive(models.a_tar, target)
    assert snapshot(target) == {"model.joblib"}
    assert joblib.load(target / "model.joblib").predict([[5.1, 3.5, 1.4, 0.2]]).tolist() == [0]


def test_links_inside_the_target_and_modes_are_kept(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "ok.tgz", [
        tar_member("v1", kind=tarfile.DIRTYPE, mode=0o700),
        tar_member("v1/weights.bin", b"w" * 100),
        tar_member("bin/run.sh", b"#!/bin/sh\n", mode=0o4755),
        tar_member("latest", kind=tarfile.SYMTYPE, link="v1/weights.bin"),
        tar_member("v1/copy.bin", kind=tarfile.LNKTYPE, link="v1/weights.bin"),
        tar_member("./v1/./again.bin", b"a"),
    ])  # fmt: skip
    target = tmp_path / "target"
    written = extract_archive(archive, target)
    assert written == 100 + 10 + 100 + 1
    assert os.readlink(target / "latest") == "v1/weights.bin"
    assert (target / "latest").read_bytes() == b"w" * 100
    assert (target / "v1" / "copy.bin").read_bytes() == b"w" * 100
    assert (target / "v1" / "again.bin").read_bytes() == b"a"
    run_mode = (target / "bin" / "run.sh").stat().st_mode
    assert run_mode & 0o100 and not run_mode & stat.S_ISUID
    assert not (target / "v1" / "weights.bin").stat().st_mode & 0o111


def test_a_zip_extracts_with_dirs_and_an_inside_symlink(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "model.zip", [
        ("model/", b"", stat.S_IFDIR | 0o755),
        ("model/weights.bin", b"weights", stat.S_IFREG | 0o644),
        ("current", b"model/weights.bin", stat.S_IFLNK | 0o777),
    ])  # fmt: skip
    target = tmp_path / "target"
    extract_archive(archive, target)
    assert (target / "current").read_bytes() == b"weights"
    assert snapshot(target) == {"model", "model/weights.bin", "current"}


def test_a_later_copy_of_a_name_wins(tmp_path: Path) -> None:
    sym = tarfile.SYMTYPE
    archive = write_tar(tmp_path / "twice.tar.gz", [
        tar_member("a", b"1"), tar_member("a", b"2"),
        tar_member("l", kind=sym, link="a"), tar_member("l", kind=sym, link="./a"),
    ])  # fmt: skip
    extract_archive(archive, tmp_path / "target")
    assert (tmp_path / "target" / "a").read_bytes() == b"2"
    assert os.readlink(tmp_path / "target" / "l") == "./a"


def test_a_corrupt_archive_is_a_storage_error(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data at all")
    with pytest.raises(StorageError, match="is not a readable tar or zip archive"):
        extract_archive(archive, tmp_path / "target")
