"""The lake's storage: a folder of this machine (default: $LAKEHOUSE_HOME/lake) or an S3-compatible object store.

    LAKEHOUSE_LAKE_URL      s3://bucket/prefix puts raw, bronze, quarantine and the published extracts' replica on
                            the object store; unset: the folder `lake/` of the lakehouse home
    AWS_ENDPOINT_URL        the S3 API's address (MinIO, Ceph, OSS, COS, ...); unset: AWS itself
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (default us-east-1)
                            the credentials, read from the environment by pyarrow's S3 client; never in a URL or a log

Everything the pipeline keeps in the lake goes through one `Lake`: keys are '/'-separated paths under its root. A
write becomes visible whole or not at all, and never replaces what was there with less: on a folder, a file is
written under a `.`-prefixed name and renamed into place; on an object store, it is uploaded under a `.`-prefixed
key beside its target, then copied to the target server-side (a copy is atomic at its destination: readers see the
old object or the new one) and the upload deleted. An upload cut short (an interrupt, a lost connection) leaves at
most a hidden key that every reader ignores: pyarrow completes an output stream even when an exception unwinds it,
so a stream is never opened on a final key. DuckDB reads the lake by `uri()`: a path, or an s3:// URL that
`register_with()` routes through pyarrow's S3 client (DuckDB 2.0 has no httpfs).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

LAKE_URL_ENV = "LAKEHOUSE_LAKE_URL"


class LakeError(Exception):
    """A lake URL that cannot be used, with what was expected."""


def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 client: endpoint from AWS_ENDPOINT_URL, credentials from the standard AWS variables."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").strip()
    options: dict = {"region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if endpoint:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.username or parsed.password:
            raise LakeError("AWS_ENDPOINT_URL: expected http(s)://host[:port], without credentials")
        options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme)
    return pafs.S3FileSystem(**options)


@dataclass(frozen=True)
class Lake:
    """The lake's root: `root` is an absolute folder (local) or 'bucket/prefix' (S3)."""

    fs: pafs.FileSystem
    root: str
    remote: bool

    @classmethod
    def at(cls, url_or_path: str | Path) -> Lake:
        text = str(url_or_path).strip()
        if "://" in text:
            parsed = urlparse(text)
            # the value is not echoed: a URL may carry credentials
            if parsed.username or parsed.password:
                raise LakeError(f"{LAKE_URL_ENV}: credentials in the URL are refused; expected s3://bucket[/prefix], "
                                "with the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            if parsed.scheme != "s3" or not parsed.netloc:
                raise LakeError(f"{LAKE_URL_ENV}: a {parsed.scheme or 'schemeless'} URL; expected s3://bucket[/prefix] "
                                "or a folder")
            root = "/".join(filter(None, [parsed.netloc, parsed.path.strip("/")]))
            return cls(s3_filesystem(), root, remote=True)
        return cls(pafs.LocalFileSystem(), Path(text).expanduser().resolve().as_posix(), remote=False)

    # -- names -----------------------------------------------------------------------------------------------------
    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def uri(self, rel: str = "") -> str:
        """What DuckDB and people read: a path, or s3://bucket/prefix/<rel>."""
        return f"s3://{self.key(rel)}" if self.remote else self.key(rel)

    def local_path(self, rel: str) -> Path:
        if self.remote:
            raise LakeError(f"{self.uri(rel)} is on an object store, not a local file")
        return Path(self.key(rel))

    # -- reading ---------------------------------------------------------------------------------------------------
    def exists(self, rel: str) -> bool:
        return self.fs.get_file_info(self.key(rel)).type == pafs.FileType.File

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open_input_stream(self.key(rel), compression=None) as f:  # the bytes as stored
            return f.read()

    def read_json(self, rel: str) -> dict:
        return json.loads(self.read_bytes(rel).decode("utf-8"))

    def files(self, folder: str, suffix: str = "") -> list[str]:
        """Names of the files directly in `folder` ending in `suffix` (those starting with `.` or `_` are not data and
        are left out), sorted; [] when the folder is absent."""
        selector = pafs.FileSelector(self.key(folder), allow_not_found=True, recursive=False)
        names = (info.base_name for info in self.fs.get_file_info(selector) if info.type == pafs.FileType.File)
        return sorted(n for n in names if n.endswith(suffix) and not n.startswith((".", "_")))

    def parquet_rows(self, rel: str) -> int:
        import pyarrow.parquet as pq

        if not self.exists(rel):
            return 0
        with self.fs.open_input_file(self.key(rel)) as f:
            return pq.ParquetFile(f).metadata.num_rows

    # -- writing (each file appears whole or not at all) ------------------------------------------------------------
    def scratch(self, rel: str) -> Path:
        """A local file to write `rel`'s content into before `commit`: beside the target on a folder (a rename moves
        it in), in a temporary folder otherwise."""
        name = Path(rel).name
        if self.remote:
            return Path(tempfile.mkdtemp(prefix="lake-")) / name
        target = self.local_path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.with_name(f".{target.stem}.{uuid.uuid4().hex}{target.suffix}")

    def commit(self, scratch: Path, rel: str) -> None:
        """Move a finished scratch file to `rel` in one step a reader cannot see half of."""
        try:
            if self.remote:
                self.upload(scratch, rel)
            else:
                os.replace(scratch, self.local_path(rel))
        finally:
            self.discard(scratch)

    def upload(self, local: Path, rel: str) -> None:
        """A local file's bytes to `rel` (an object store): uploaded aside, then copied into place."""
        with local.open("rb") as src:
            self._put_aside(rel, lambda dst: shutil.copyfileobj(src, dst, 8 << 20))

    def _put_aside(self, rel: str, write) -> None:
        final = self.key(rel)
        head, _, name = final.rpartition("/")
        aside = f"{head}/.{name}.{uuid.uuid4().hex}"
        try:
            with self.fs.open_output_stream(aside, compression=None) as dst:
                write(dst)
            self.fs.copy_file(aside, final)
        finally:
            try:
                self.fs.delete_file(aside)
            except OSError:
                pass  # never written, or the store is unreachable: a hidden key every reader ignores

    def discard(self, scratch: Path) -> None:
        scratch.unlink(missing_ok=True)
        if self.remote and scratch.parent.name.startswith("lake-"):
            shutil.rmtree(scratch.parent, ignore_errors=True)

    def put_bytes(self, rel: str, data: bytes) -> None:
        if self.remote:
            self._put_aside(rel, lambda dst: dst.write(data))
            return
        scratch = self.scratch(rel)
        scratch.write_bytes(data)
        self.commit(scratch, rel)

    def put_json(self, rel: str, payload: dict) -> None:
        self.put_bytes(rel, json.dumps(payload, ensure_ascii=False, indent=1, default=str).encode("utf-8"))

    def delete_folder(self, rel: str) -> None:
        try:
            self.fs.delete_dir(self.key(rel))
        except FileNotFoundError:
            pass

    # -- DuckDB ----------------------------------------------------------------------------------------------------
    def register_with(self, con) -> None:
        """Let a DuckDB connection read this lake's s3:// URLs (nothing to do for a folder)."""
        if self.remote:
            con.register_filesystem(duckdb_filesystem(self.fs))


def duckdb_filesystem(fs: pafs.FileSystem):
    """pyarrow's S3 client as an fsspec filesystem of protocol s3, the form DuckDB's register_filesystem takes."""
    from fsspec.implementations.arrow import ArrowFSWrapper

    class S3OverArrow(ArrowFSWrapper):
        protocol = "s3"

    return S3OverArrow(fs)


def configured_url(home: Path) -> str:
    """LAKEHOUSE_LAKE_URL, else the folder `lake/` of the home."""
    return os.environ.get(LAKE_URL_ENV, "").strip() or str(home / "lake")
