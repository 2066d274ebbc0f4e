"""Reference pages generated while the documentation builds (mkdocs-gen-files).

- ``reference/cli.md``: the output of ``ctlab --help`` and ``ctlab <command> --help``;
- ``reference/options.md``: every codec's read and write options, from the
  codecs' own declarations (:func:`markdown_table`), the ``anu_ctlab_io``
  option names each codec takes as aliases, and those it turns away with advice;
- ``reference/configuration.md``: every setting (``ctlab_core.config``): the
  core's ``TASK_BYTES`` and each installed codec's ``Codec.settings``.

All three come from the installed code, so they cannot go stale: the option
and configuration references list every codec the registry finds
(scripts/docs.sh builds in an environment of the three distributions alone,
so that is netcdf, raw and zarr).
"""

from __future__ import annotations

import os
import subprocess
import sys

import mkdocs_gen_files
from ctlab_core.cli._help import PAGES
from ctlab_core.config import TASK_BYTES, Setting
from ctlab_core.options import Options, describe_value, info, option_fields

from ctlab_core import available_codecs, get_codec, registry


def markdown_table(cls: type[Options]) -> str:
    """The option table of ``cls`` (option, default, meaning) as Markdown."""
    rows = ["| option | default | meaning |", "|---|---|---|"]
    for field in option_fields(cls):
        default = describe_value(field.default)
        rows.append(f"| `{field.name}` | `{default!r}` | {info(field).help} |")
    return "\n".join(rows) + "\n"


def _help(*args: str) -> str:
    environment = {**os.environ, "COLUMNS": "92"}
    done = subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", *args, "--help"],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    )
    return done.stdout.rstrip()


def cli_page() -> str:
    parts = [
        "# Command line",
        "",
        "`ctlab` comes with ctlab-core; its flags for reading and writing come from the",
        "installed codecs' declared options, so this page shows what ctlab-core,",
        "ctlab-netcdf and ctlab-zarr together offer. Exit codes: 0 success, 1 an error",
        "(one line on stderr; `--debug` shows the traceback), 2 a usage error,",
        "130 interrupted.",
        "",
        "*Generated from `ctlab --help` when these pages were built.*",
        "",
        "```text",
        _help(),
        "```",
    ]
    for command in PAGES:
        parts += ["", f"## ctlab {command}", "", "```text", _help(command), "```"]
    return "\n".join(parts) + "\n"


def _legacy(cls: type[Options]) -> list[str]:
    return [f"| `{name}=` | {advice} |" for name, advice in cls.legacy.items()]


def _renamed(cls: type[Options]) -> list[str]:
    return [
        f"| `{name}=` | {' '.join((meaning.__doc__ or '').split())} |"
        for name, meaning in cls.renamed.items()
    ]


def options_page() -> str:
    parts = [
        "# Reader and writer options",
        "",
        "Keyword arguments of `Dataset.from_path(path, **options)` (reading) and",
        "`ds.to_path(path, **options)` (writing), per codec. Every codec also takes",
        "`parse_history` when reading; `overwrite`, `compute`, `dataset_id` and",
        "`datatype` when writing belong to `to_path` itself. The `ctlab` command line",
        "offers the same options as flags ([command line](cli.md)).",
        "",
        "*Generated from the codecs' declarations when these pages were built.*",
    ]
    for name in available_codecs():
        codec = get_codec(name)
        found = registry.codec_distribution(name)
        package = "unknown distribution" if found is None else found[0]
        parts += [
            "",
            f"## {name}",
            "",
            f"{codec.description} (`{package}`; suffixes "
            + ", ".join(f"`{s}`" for s in codec.suffixes)
            + ")",
            "",
            "### Reading",
            "",
            markdown_table(codec.read_options),
            "### Writing",
            "",
            markdown_table(codec.write_options),
        ]
        renamed = _renamed(codec.read_options) + _renamed(codec.write_options)
        if renamed:
            parts += [
                "### anu_ctlab_io options this codec takes under their own names",
                "",
                "| option | what it means here |",
                "|---|---|",
                *renamed,
                "",
            ]
        legacy = _legacy(codec.read_options) + _legacy(codec.write_options)
        if codec.write_options.legacy_extra:
            legacy.append(f"| any other name | {codec.write_options.legacy_extra} |")
        if legacy:
            parts += [
                "### anu_ctlab_io options this codec turns away",
                "",
                "| option | what to do instead |",
                "|---|---|",
                *legacy,
                "",
            ]
    return "\n".join(parts) + "\n"


def settings() -> list[tuple[Setting, str]]:
    """Every setting and who declares it: the core's first, then each codec's."""
    found = [(TASK_BYTES, "ctlab-core")]
    for name in available_codecs():
        codec = get_codec(name)
        distribution = registry.codec_distribution(name)
        owner = f"the {name} codec" if distribution is None else distribution[0]
        found += [(setting, owner) for setting in codec.settings]
    return found


def _default(value: object) -> str:
    """A setting's default as the table shows it (a byte count also in MiB)."""
    shown = f"`{describe_value(value)!r}`"
    if isinstance(value, int) and value >= 2**20 and value % 2**20 == 0:
        shown += f" ({value // 2**20} MiB)"
    return shown


def configuration_page() -> str:
    rows = [
        "| key | environment variable | default | meaning | from |",
        "|---|---|---|---|---|",
    ]
    for setting, owner in settings():
        rows.append(
            f"| `{setting.key}` | `{setting.variable}` | {_default(setting.default)} "
            f"| {setting.help} | {owner} |"
        )
    parts = [
        "# Configuration",
        "",
        "ctlab has one configuration surface: every setting is a key of the",
        "[dask configuration](https://docs.dask.org/en/stable/configuration.html) under",
        "`ctlab.`, with an environment variable of its own. The value in effect comes",
        "from, in order:",
        "",
        '1. the dask configuration: `dask.config.set({"ctlab.task-bytes": "64MiB"})`',
        "   in Python, dask's YAML files, or dask's own variables",
        "   (`DASK_CTLAB__TASK_BYTES=64MiB`);",
        "2. the setting's ctlab variable (`CTLAB_TASK_BYTES=64MiB`);",
        "3. the default.",
        "",
        'An option given with a call comes before every setting: `engine="zarrs"`',
        "(`--engine zarrs`) over `ctlab.zarr-engine`, `ctlab convert --task-size 64MiB`",
        "over `ctlab.task-bytes`. Settings are read in the calling process when a dataset",
        "is opened or a write is planned, and the task graph carries what they decided:",
        "process workers and `dask.distributed` clusters need no settings of their own.",
        "",
        "*Generated from `ctlab_core.config.TASK_BYTES` and the installed codecs'",
        "`Codec.settings` when these pages were built.*",
        "",
        "\n".join(rows),
    ]
    return "\n".join(parts) + "\n"


with mkdocs_gen_files.open("reference/cli.md", "w") as page:
    page.write(cli_page())
with mkdocs_gen_files.open("reference/options.md", "w") as page:
    page.write(options_page())
with mkdocs_gen_files.open("reference/configuration.md", "w") as page:
    page.write(configuration_page())
