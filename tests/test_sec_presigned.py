"""Presigned URLs (S3, GCS, Azure SAS) quoted in a log line: their signatures are secrets (a
VM image or backup URL copied from an error message grants access until it expires)."""

from __future__ import annotations

import pytest

from analyzer.secrets import redact

CASES = [
    (
        'failed to download "https://bucket.s3.amazonaws.com/img.qcow2?X-Amz-Algorithm=AWS4-HMAC'
        "-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        '&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7": 403',
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    ),
    (
        "GET https://storage.googleapis.com/b/o.img?X-Goog-Algorithm=GOOG4-RSA-SHA256"
        "&X-Goog-Signature=7f3a9c2e0b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a6"
        " failed",
        "7f3a9c2e0b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a6",
    ),
    (
        "backup target https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=sco&sp=rl"
        "&se=2026-01-01T00:00:00Z&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg%3D%3D unreachable",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
    ),
]


@pytest.mark.parametrize(("line", "signature"), CASES)
def test_presigned_url_signatures_are_redacted(line: str, signature: str) -> None:
    text, count = redact(line)
    assert signature not in text and count >= 1, text
    assert "https://" in text  # the URL stays readable up to the signature


@pytest.mark.parametrize(
    "line",
    [
        "signature verification succeeded for image harvester-iso",
        'gpg: Good signature from "SUSE Package Signing Key"',
        "cosign: no matching signatures",
    ],
)
def test_prose_about_signatures_is_left(line: str) -> None:
    assert redact(line) == (line, 0)
