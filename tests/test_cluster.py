"""``python -m datagen cluster``: a Citus coordinator and two workers on
this machine, and a build or refresh that stops, before touching anything,
when a worker is down."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, run_cli, schema_checksums
from datagen import cluster

#: the coordinator's port of this module's own cluster (the session's
#: cluster, in another folder, has its own sockets)
PORT = "5450"


@pytest.fixture(scope="module")
def own_cluster(citus_url):
    """A cluster of this module's own (its workers are stopped here), in a
    short folder; ``citus_url`` first: Citus built, or the tests skipped."""
    folder = Path(tempfile.mkdtemp(prefix="ewbk"))
    env = {"WAREHOUSE_PGCLUSTER": str(folder), "WAREHOUSE_PGCLUSTER_PORT": PORT,
           "DATABASE_URL": ""}
    yield folder, env
    run_cli("cluster", "stop", env=env)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.cluster
@pytest.mark.process
def test_start_status_stop(own_cluster):
    folder, env = own_cluster
    started = run_cli("cluster", "start", env=env)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    assert url == f"postgresql://postgres:@/postgres?host={folder}&port={PORT}"
    with psycopg.connect(url) as conn:
        workers = conn.execute("select count(*) from pg_dist_node "
                               "where groupid <> 0").fetchone()[0]
        assert workers == 2
        assert conn.execute("show work_mem").fetchone()[0] == \
            cluster.NODE_WORK_MEM
    status = run_cli("cluster", "status", env=env).stdout.splitlines()
    assert [line.split()[:2] for line in status] == [
        [node, "running"] for node in cluster.NODES]
    assert run_cli("cluster", "start", env=env).stdout.strip() == url
    assert run_cli("cluster", "stop", env=env).stdout.strip() == "stopped"
    status = run_cli("cluster", "status", env=env).stdout.splitlines()
    assert all(line.split()[1] == "stopped" for line in status)
    assert run_cli("cluster", "stop", env=env).stdout.strip() == "not running"


@pytest.mark.cluster
@pytest.mark.process
def test_a_worker_down_stops_the_build_before_anything(own_cluster):
    folder, env = own_cluster
    url = run_cli("cluster", "start", env=env).stdout.strip()
    built = run_cli("build", "--scale", "0.1", "--schema", "kept",
                    env={**env, "DATABASE_URL": url})
    assert built.returncode == 0, built.stderr
    assert "distributed on Citus" in built.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        before = schema_checksums(conn, "kept", "kept_truth")
    subprocess.run([str(cluster.pg_bin() / "pg_ctl"), "stop", "-m", "fast",
                    "-w", "-D", str(folder / "worker2")], check=True,
                   capture_output=True, user=cluster._system_user())
    failed = run_cli("build", "--scale", "0.1", "--seed", "7", "--schema",
                     "kept", env={**env, "DATABASE_URL": url})
    assert failed.returncode == 2
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr
    port = int(PORT) + cluster.NODES.index("worker2")
    assert lines[0].startswith(f"error: Citus worker {folder}:{port} is "
                               "unreachable")
    # a refresh stops the same way, before it draws or changes anything
    refreshed = run_cli("refresh", "--schema", "kept", "--to", "2026-01-03",
                        env={**env, "DATABASE_URL": url})
    assert refreshed.returncode == 2
    assert refreshed.stderr.strip().splitlines() == lines
    run_cli("cluster", "start", env=env)   # the worker back
    with psycopg.connect(url, autocommit=True) as conn:
        assert schema_checksums(conn, "kept", "kept_truth") == before
        assert conn.execute("select seed from kept.build_info"
                            ).fetchone()[0] == 42


def test_the_cluster_folder_is_git_ignored():
    assert ".pgcluster/" in (ROOT / ".gitignore").read_text().split()


def test_a_cluster_folder_too_long_for_a_socket_is_refused():
    with pytest.raises(cluster.ClusterError, match="too long for a unix "
                       "socket"):
        cluster.start(Path("/tmp/" + "x" * 120))
