#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Signs with botocore, AWS's own Python signer, for test-sigv4's interop
tests: prints a pre-signed GET URL and a pre-signed POST form as JSON.
Exits 77 (skip) when botocore is not installed."""

import json
import sys

try:
    from botocore.config import Config
    from botocore.session import Session
except ImportError:
    sys.exit(77)

endpoint, bucket, key, access_key, secret_key, region = sys.argv[1:7]

client = Session().create_client(
    "s3",
    region_name=region,
    endpoint_url=endpoint,
    aws_access_key_id=access_key,
    aws_secret_access_key=secret_key,
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)

url = client.generate_presigned_url(
    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300
)
post = client.generate_presigned_post(
    bucket,
    key,
    Fields={"Content-Type": "image/png", "success_action_status": "204"},
    Conditions=[
        ["starts-with", "$Content-Type", "image/"],
        {"success_action_status": "204"},
        ["content-length-range", 1, 1000],
    ],
    ExpiresIn=300,
)
json.dump({"url": url, "post": post}, sys.stdout)
