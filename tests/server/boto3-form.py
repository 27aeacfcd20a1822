#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Makes a pre-signed POST form with boto3, standard S3 tooling, so the server
# suite can check that tessera-server's S3 emulation accepts forms it did not
# make itself. Prints {"url": ..., "fields": {...}} as JSON.
#
# usage: boto3-form.py ENDPOINT BUCKET KEY REGION MAX_SIZE EXPIRES
# The access key id and secret come from the environment
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from the command line.
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, bucket, key, region, max_size, expires = sys.argv[1:7]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    form = s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": "image/jpeg"},
        Conditions=[
            ["content-length-range", 1, int(max_size)],
            ["starts-with", "$Content-Type", "image/"],
        ],
        ExpiresIn=int(expires),
    )
    json.dump(form, sys.stdout)


if __name__ == "__main__":
    main()
