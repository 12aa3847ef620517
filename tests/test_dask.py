"""Rendering on a Dask cluster: a real local cluster of two worker processes on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import newsgen
from newsgen.cli import main
from newsgen.config import Config, load_config
from newsgen.errors import BuildFailed, ClusterError
from newsgen.pipeline import LocalPool, build

from .conftest import PROJECT, article_text, make_site, snapshot

pytest.importorskip("distributed")

import distributed

from newsgen import cluster

_COUNTRIES = ["[UZ]", "[RU]", "[DE]", "[KZ, TJ]", "[US, AF]"]


def _articles(count: int) -> dict[str, str]:
    """Articles over several years and countries, with bodies of their own, some in German."""
    return {
        f"a{i:03d}.md": article_text(
            f"Report {i}",
            date=f"{2001 + i % 7}-{i % 12 + 1:02d}-{i % 27 + 1:02d}",
            countries=_COUNTRIES[i % len(_COUNTRIES)],
            body=f"Paragraph {i} with *emphasis* and a [link](https://example.org/{i}).\n\n"
            f"- item {i}\n- another\n\n> a quote {i}\n",
            **({"language": "de"} if i % 5 == 0 else {}),
        )
        for i in range(40)
    }


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """One cluster of two worker processes for the whole module."""
    with (
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: several clusters may run here
        ) as local,
        distributed.Client(local) as connected,  # type: ignore[no-untyped-call]
    ):
        yield connected


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site large enough for several chunks, and its local build in `_site`."""
    root = tmp_path_factory.mktemp("dask") / "project"
    config = make_site(root, _articles(40))
    build(config, renderer=LocalPool(1))
    return root


def _config(root: Path, name: str) -> Config:
    """The project, built into an output and cache folder of its own."""
    config, _ = load_config(root, {"output": root / name, "cache": root / f"cache-{name}"})
    return config


def test_the_site_rendered_on_the_cluster_is_byte_identical(
    client: distributed.Client, project: Path
) -> None:
    local = snapshot(project / "_site")
    config = _config(project, "cold")
    report = build(config, renderer=cluster.DaskCluster(client, chunk=7))
    assert report.rendered > 3 * 7  # several chunks went out
    assert snapshot(config.path("output")) == local
    # The bodies rendered on the workers filled the cache here, as a local build does.
    cached = sorted(p.name for p in (config.path("cache") / "html").rglob("*.html"))
    assert cached == sorted(p.name for p in (project / ".newsgen-cache" / "html").rglob("*.html"))
    assert len(cached) == 40


def test_cached_bodies_are_sent_rendered(client: distributed.Client, project: Path) -> None:
    config = _config(project, "warm")
    # A cache whose entries are not what Markdown makes shows whether the workers used them.
    build(_config(project, "first"), renderer=LocalPool(1))
    (project / "cache-warm").mkdir()
    for path in (project / "cache-first" / "html").rglob("*.html"):
        target = (
            project / "cache-warm" / "html" / path.relative_to(project / "cache-first" / "html")
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("<p>FROM THE CACHE</p>", encoding="utf-8")
    build(config, renderer=cluster.DaskCluster(client, chunk=5))
    [path] = (config.path("output") / "articles").rglob("*report-1.html")
    page = path.read_text(encoding="utf-8")
    assert "<p>FROM THE CACHE</p>" in page
    assert "<li>item 1</li>" not in page


def test_the_command_line_builds_on_the_cluster(
    client: distributed.Client, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert client.scheduler is not None
    address = client.scheduler.address
    code = main(
        ["--root", str(project), "build", "--output", "cli", "--full", "--dask", str(address)]
    )
    assert code == 0, capsys.readouterr().err
    assert snapshot(project / "cli") == snapshot(project / "_site")


def test_a_template_error_on_a_worker_reads_as_it_does_here(
    client: distributed.Client, tmp_path: Path
) -> None:
    config = make_site(tmp_path / "broken", _articles(12))
    article = config.path("templates") / "article.html"
    text = article.read_text(encoding="utf-8")
    line = text[: text.index("{% block title %}")].count("\n") + 1
    article.write_text(
        text.replace("{% block title %}", "{% block title %}{{ no_such_variable }}"),
        encoding="utf-8",
    )
    messages = []
    for renderer in (LocalPool(1), cluster.DaskCluster(client, chunk=4)):
        with pytest.raises(BuildFailed) as failed:
            build(config, full=True, renderer=renderer)
        messages.append([error.describe(config.root) for error in failed.value.errors])
    assert messages[0] == messages[1]
    assert messages[0][0].startswith(f"templates/article.html:{line}: while rendering articles/")
    assert "'no_such_variable' is undefined" in messages[0][0]
    assert not config.path("output").exists()


def test_a_worker_with_another_newsgen_is_refused(
    client: distributed.Client, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers are other processes: only this side sees the changed code.
    monkeypatch.setattr("newsgen.deps.code_fingerprint", lambda: "0" * 64)
    config = _config(project, "mismatch")
    with pytest.raises(ClusterError) as refused:
        build(config, renderer=cluster.DaskCluster(client))
    message = refused.value.describe()
    assert message.startswith("worker tcp://127.0.0.1:")
    assert "this build runs newsgen" in message and "code 000000000000" in message
    assert "\n" not in message
    assert not config.path("output").exists()


def test_a_cluster_without_workers_is_one_line(project: Path) -> None:
    config = _config(project, "idle")
    with (
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as idle,
        distributed.Client(idle) as connected,  # type: ignore[no-untyped-call]
        pytest.raises(ClusterError) as refused,
    ):
        build(config, renderer=cluster.DaskCluster(connected, patience=0.5))
    assert refused.value.describe() == (
        "the Dask cluster has had no workers for 0.5 s (start some with `dask worker ADDRESS`)"
    )
    assert not config.path("output").exists()


def test_a_scheduler_without_this_newsgen_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A `dask scheduler` process that finds another newsgen first on its path.
    other = tmp_path / "other" / "newsgen"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text('__version__ = "0.0.1"\n', encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scheduler = subprocess.Popen(
        [
            *(sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"),
            *("--port", str(port), "--dashboard-address", ":0"),
        ],
        env={**os.environ, "PYTHONPATH": str(other.parent)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as knock:
                if knock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        address = f"tcp://127.0.0.1:{port}"
        code = main(["--root", str(project), "build", "--output", "z", "--dask", address])
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    assert code == 4
    assert capsys.readouterr().err == (
        "the scheduler cannot run newsgen (No module named 'newsgen.cluster'): install this "
        f"newsgen ({newsgen.__version__}) on the scheduler's machine and every worker's\n"
    )
    assert not (project / "z").exists()


def test_a_scheduler_that_cannot_be_reached_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "1s")
    import dask.config

    dask.config.refresh()
    try:
        code = main(
            ["--root", str(project), "build", "--output", "x", "--dask", "tcp://127.0.0.1:9"]
        )
    finally:
        monkeypatch.undo()
        dask.config.refresh()
    err = capsys.readouterr().err
    assert code == ClusterError.exit_code == 4
    assert err.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert err.count("\n") == 1
    assert not (project / "x").exists()


def test_without_the_extra_the_option_says_how_to_install_it(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "newsgen.cluster")
    code = main(["--root", str(project), "build", "--output", "y", "--dask", "tcp://127.0.0.1:9"])
    assert code == 2
    assert capsys.readouterr().err == (
        "--dask needs Dask's distributed scheduler: pip install 'newsgen[dask]'\n"
    )


def test_a_build_without_the_option_imports_nothing_of_dask(tmp_path: Path) -> None:
    config = make_site(tmp_path / "plain", _articles(3))
    script = (
        "import sys\n"
        "from newsgen.cli import main\n"
        f"assert main(['--root', {str(config.root)!r}, 'build']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed', 'newsgen.cluster') or m == 'newsgen.cluster'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"
    assert (config.path("output") / "index.html").is_file()
