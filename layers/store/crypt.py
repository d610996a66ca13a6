"""Passphrase encryption of backup files: AES-256-GCM in chunks, the key derived by scrypt.

The file is a header and a sequence of sealed chunks (the STREAM construction that age and
Tink use): the header holds a magic line, the scrypt salt and cost, the chunk size and a
random nonce prefix; chunk *i* is sealed with the nonce ``prefix ‖ i ‖ last`` (``last`` is 1
for the final chunk only) and the header as associated data. Reordering, dropping, appending
or truncating chunks, changing the header, or a wrong passphrase all fail to decrypt. Files
of any size are streamed: at most one chunk is held in memory.

The primitives are ``cryptography``'s (OpenSSL): nothing is implemented here but the framing.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from layers._errors import StoreError

__all__ = ["MAGIC", "decrypt_file", "encrypt_file", "is_encrypted"]

MAGIC = b"MZGIS-ENCRYPTED-BACKUP/1\n"
CHUNK_BYTES = 1 << 20
#: scrypt cost (2**17, r=8: 128 MiB and a quarter of a second; age's default is 2**18)
SCRYPT_LOG_N = 17
_SALT_BYTES, _PREFIX_BYTES, _TAG_BYTES = 16, 7, 16
_HEADER = struct.Struct(f">{_SALT_BYTES}sBBBI{_PREFIX_BYTES}s")
_MIN_PASSPHRASE = 10


def is_encrypted(path: str | Path) -> bool:
    """Whether ``path`` starts like a file written by :func:`encrypt_file`."""
    with Path(path).open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def encrypt_file(source: str | Path, target: str | Path, *, passphrase: str) -> None:
    """Write ``source`` encrypted with ``passphrase`` to ``target`` (created, not replaced).

    Raises
    ------
    StoreError
        The passphrase is shorter than 10 characters.
    """
    if len(passphrase) < _MIN_PASSPHRASE:
        msg = (
            f"the passphrase must have at least {_MIN_PASSPHRASE} characters"
            f" / 加密口令至少需要 {_MIN_PASSPHRASE} 个字符"
        )
        raise StoreError(msg)
    salt, prefix = os.urandom(_SALT_BYTES), os.urandom(_PREFIX_BYTES)
    header = MAGIC + _HEADER.pack(salt, SCRYPT_LOG_N, 8, 1, CHUNK_BYTES, prefix)
    aead = AESGCM(_key(passphrase, salt, SCRYPT_LOG_N, 8, 1))
    with Path(source).open("rb") as src, Path(target).open("xb") as out:
        out.write(header)
        for index, chunk, last in _chunks(src, CHUNK_BYTES):
            out.write(aead.encrypt(_nonce(prefix, index, last), chunk, header))
        out.flush()
        os.fsync(out.fileno())


def decrypt_file(source: str | Path, target: str | Path, *, passphrase: str) -> None:
    """Write the plain text of ``source`` (from :func:`encrypt_file`) to ``target``.

    Raises
    ------
    StoreError
        Not an encrypted backup, a wrong passphrase, or a damaged or truncated file (then
        ``target`` is removed).
    """
    with Path(source).open("rb") as src:
        if src.read(len(MAGIC)) != MAGIC:
            msg = f"{source} is not an encrypted mzgis backup / 不是加密的 mzgis 备份文件"
            raise StoreError(msg)
        fields = src.read(_HEADER.size)
        if len(fields) != _HEADER.size:
            raise StoreError(_damaged(source))
        salt, log_n, r, p, chunk_bytes, prefix = _HEADER.unpack(fields)
        if not (10 <= log_n <= 22 and r <= 32 and p <= 16 and 0 < chunk_bytes <= 1 << 26):
            raise StoreError(_damaged(source))
        header = MAGIC + fields
        aead = AESGCM(_key(passphrase, salt, log_n, r, p))
        try:
            with Path(target).open("xb") as out:
                _open_chunks(src, out, aead, header, prefix=prefix, sealed=chunk_bytes + _TAG_BYTES)
        except InvalidTag:
            Path(target).unlink(missing_ok=True)
            msg = (
                f"cannot decrypt {source}: wrong passphrase, or the file is damaged"
                " / 无法解密：口令错误或文件已损坏"
            )
            raise StoreError(msg) from None
        except StoreError:
            Path(target).unlink(missing_ok=True)
            raise


def _open_chunks(
    src: BinaryIO, out: BinaryIO, aead: AESGCM, header: bytes, *, prefix: bytes, sealed: int
) -> None:
    last = False
    for index, chunk, last in _chunks(src, sealed):
        out.write(aead.decrypt(_nonce(prefix, index, last), chunk, header))
    if not last:
        raise StoreError(_damaged(src.name))
    out.flush()
    os.fsync(out.fileno())


def _chunks(src: BinaryIO, size: int) -> Iterator[tuple[int, bytes, bool]]:
    """``(index, chunk, is_last)``: a read-ahead of one chunk tells the last one."""
    chunk, index = src.read(size), 0
    while True:
        following = src.read(size)
        yield index, chunk, not following
        if not following:
            return
        chunk, index = following, index + 1


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def _key(passphrase: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=1 << log_n, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8"))


def _damaged(source: object) -> str:
    return f"{source} is damaged or truncated / 备份文件已损坏或不完整"
