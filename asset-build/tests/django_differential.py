#!/usr/bin/env python3
"""Run Django's collectstatic over many source trees, in one process.

Reads a JSON list of jobs on stdin, each ``{"src": DIR, "root": DIR}``,
and, for each, runs ``collectstatic --noinput --clear`` with
``ManifestStaticFilesStorage``, ``STATICFILES_DIRS=[src]`` and
``STATIC_ROOT=root``. A job may name another storage backend in
``"storage"`` (the pipeline bench uses WhiteNoise's
``CompressedManifestStaticFilesStorage``). Prints a JSON list with one
result per job: ``{"ok": true, "seconds": <collectstatic's wall time>}`` or
``{"ok": false, "error": "<message>"}``.

The finder lists files sorted by relative path, so that Django's processing
order (and with it the key order of ``staticfiles.json``) does not depend on
the file system; the files, their bytes, the ``paths`` mapping and the
``hash`` are the same with the stock finder.

Used by ``tests/django_differential.rs``; run with the Python of a
virtualenv that has ``Django==5.2.*`` (or the version in
``ASSET_DJANGO_VERSION``, such as ``6.1``).
"""

import io
import json
import os
import sys
import time

import django
from django.conf import settings
from django.contrib.staticfiles.finders import FileSystemFinder


MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


class SortedFileSystemFinder(FileSystemFinder):
    def list(self, ignore_patterns):
        yield from sorted(super().list(ignore_patterns), key=lambda item: item[0])


def main():
    wanted = os.environ.get("ASSET_DJANGO_VERSION", "5.2")
    if "%d.%d" % django.VERSION[:2] != wanted:
        sys.exit("error: Django %s.x is required, found %s" % (wanted, django.get_version()))
    jobs = json.load(sys.stdin)
    settings.configure(
        DEBUG=False,
        INSTALLED_APPS=["django.contrib.staticfiles"],
        STATIC_URL="/static/",
        STATIC_ROOT=None,
        STATICFILES_DIRS=[],
        STATICFILES_FINDERS=["__main__.SortedFileSystemFinder"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": MANIFEST},
        },
    )
    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    results = []
    for job in jobs:
        storages = dict(settings.STORAGES)
        storages["staticfiles"] = {"BACKEND": job.get("storage", MANIFEST)}
        # override_settings resets the staticfiles storage and the finders'
        # cache when these settings change (django.test.signals).
        with override_settings(
            STATIC_ROOT=job["root"], STATICFILES_DIRS=[job["src"]], STORAGES=storages
        ):
            try:
                started = time.perf_counter()
                # The failure is the result; its report on stderr is noise.
                call_command(
                    "collectstatic", "--noinput", "--clear", verbosity=0, stderr=io.StringIO()
                )
                results.append({"ok": True, "seconds": time.perf_counter() - started})
            except Exception as error:  # every failure is a result to compare
                results.append({"ok": False, "error": "%s: %s" % (type(error).__name__, error)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
