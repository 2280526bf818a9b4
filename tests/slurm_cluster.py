"""A real one-node SLURM cluster on localhost for the tests: install (Debian), start, stop by PID.

Only usable as root on Debian/Ubuntu (CI). `skip_reason()` says why not otherwise.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurm-wlm", "slurmctld", "slurmd", "slurm-client", "munge")
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")


def _which(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for d in ("/usr/sbin", "/usr/bin", "/sbin")
                                       if (p := Path(d) / name).exists()), None)


def installed() -> bool:
    """True when every SLURM and munge program the tests need is present."""
    return all(_which(name) for name in DAEMONS)


def skip_reason() -> str | None:
    """Why a real SLURM cannot be had here (None if it can)."""
    if installed():
        return None
    if os.geteuid() != 0:
        return "installing SLURM needs root (apt-get install slurm-wlm munge); CI runs as root"
    if not shutil.which("apt-get"):
        return "no apt-get: cannot install Debian's slurm-wlm and munge on this system"
    return None


def install(timeout: int = 600) -> float:
    """apt-get update and install SLURM + munge if missing; return the seconds it took."""
    if installed():
        return 0.0
    start = time.perf_counter()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env, timeout=timeout)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
                   check=True, capture_output=True, env=env, timeout=timeout)
    return time.perf_counter() - start


SLURM_CONF = """\
ClusterName=perturbstudy-ci
SlurmctldHost={host}
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
SchedulerParameters=bf_interval=1
ReturnToService=2
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
StateSaveLocation={state}
SlurmdSpoolDir={spool}
SlurmctldLogFile={logs}/slurmctld.log
SlurmdLogFile={logs}/slurmd.log
{overrides}NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def machine() -> tuple[int, int]:
    """(CPUs, RealMemory in MB) of this machine as slurmd detects them (`slurmd -C`)."""
    out = subprocess.run([_which("slurmd"), "-C"], capture_output=True, text=True, timeout=30, check=True).stdout
    fields = dict(item.split("=", 1) for item in out.split() if "=" in item)
    return int(fields["CPUs"]), int(fields["RealMemory"])


def node_line(cpus: int, memory_mb: int) -> tuple[int, int, str]:
    """The node's CPUs, RealMemory and extra slurm.conf lines: at most `cpus`, the machine's memory.

    A machine with less memory than `memory_mb` (the largest request of a rule) declares `memory_mb`
    with `SlurmdParameters=config_overrides`, so the rules' honest requests stay schedulable; memory is
    not enforced here (task/none), and the smoke jobs use far less.
    """
    have_cpus, have_mb = machine()
    if have_mb >= memory_mb:
        return min(cpus, have_cpus), have_mb, ""
    return min(cpus, have_cpus), memory_mb, "SlurmdParameters=config_overrides\n"


@dataclass
class Cluster:
    """A running one-node cluster: its config file, the daemons' processes and the start time."""

    conf: Path
    logs: Path
    previous_conf: str | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    start_seconds: float = 0.0

    @property
    def env(self) -> dict[str, str]:
        """Environment for clients (sbatch, squeue, snakemake) that points at this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def stop(self) -> None:
        """Cancel this cluster's jobs, stop the daemons by their PIDs (reverse start order), wait for them."""
        self.cancel_jobs()
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        # Restore (or remove) slurm.conf: a conf naming a stopped controller makes every later `snakemake` wait
        # 10 s at start, when the SLURM executor plugin asks `scontrol show config` for MinJobAge.
        if self.previous_conf is not None:
            self.conf.write_text(self.previous_conf)
        else:
            self.conf.unlink(missing_ok=True)

    def cancel_jobs(self, timeout: float = 30.0) -> None:
        """scancel every job of this (private) cluster and wait until the queue is empty."""
        ctld = self.procs.get("slurmctld")
        if ctld is None or ctld.poll() is not None:
            return
        user = pwd.getpwuid(os.geteuid()).pw_name
        subprocess.run([_which("scancel"), "--user", user], env=self.env, capture_output=True, timeout=30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.queue():
            time.sleep(0.5)

    def queue(self) -> str:
        """squeue's job ids and states, one job a line (empty when idle)."""
        proc = subprocess.run([_which("squeue"), "-h", "-o", "%i %T"], env=self.env, capture_output=True, text=True,
                              timeout=30)
        return proc.stdout.strip()

    def logs_tail(self, n: int = 3000) -> str:
        """The end of each daemon log, for failure messages."""
        out = []
        for f in sorted(self.logs.glob("*.log")):
            out.append(f"--- {f.name}\n{f.read_text(errors='replace')[-n:]}")
        return "\n".join(out)


def _chown(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def start(base: Path, cpus: int = 2, memory_mb: int = 0, timeout: float = 60.0) -> Cluster:
    """Write /etc/slurm/slurm.conf (state, logs under `base`); start munged, slurmctld, slurmd; wait until idle.

    One node with at most `cpus` CPUs and this machine's memory, or `memory_mb` if that is more (`node_line`).
    """
    t0 = time.perf_counter()
    host = socket.gethostname().split(".")[0]
    base.mkdir(parents=True, exist_ok=True)
    state, spool, logs = base / "state", base / "spool", base / "logs"
    for d in (state, spool, logs):
        d.mkdir(exist_ok=True)
    for d in (state, logs):
        _chown(d, "slurm")
    os.chmod(base, 0o755)
    for run_dir, owner in ((Path("/run/munge"), "munge"), (Path("/run/slurm"), "slurm")):
        run_dir.mkdir(parents=True, exist_ok=True)
        _chown(run_dir, owner)
    # The default location: srun inside batch jobs (the snakemake jobstep) reads it without SLURM_CONF.
    conf = Path("/etc/slurm/slurm.conf")
    conf.parent.mkdir(parents=True, exist_ok=True)
    previous = conf.read_text() if conf.exists() else None
    node_cpus, node_mb, overrides = node_line(cpus, memory_mb)
    conf.write_text(SLURM_CONF.format(host=host, state=state, spool=spool, logs=logs, cpus=node_cpus,
                                      memory=node_mb, overrides=overrides))
    conf.chmod(0o644)
    cluster = Cluster(conf=conf, logs=logs, previous_conf=previous)
    env = cluster.env
    try:
        munge_log = open(logs / "munged.log", "w")  # noqa: SIM115 - lives as long as the daemon
        cluster.procs["munged"] = subprocess.Popen([_which("munged"), "--foreground", "--force"], user="munge",
                                                   group="munge", stdout=munge_log, stderr=subprocess.STDOUT)
        _wait(lambda: Path("/run/munge/munge.socket.2").exists(), 15, "munged socket", cluster)
        for daemon in ("slurmctld", "slurmd"):
            with open(logs / f"{daemon}.out", "w") as out:
                cluster.procs[daemon] = subprocess.Popen([_which(daemon), "-D", "-f", str(conf)], env=env,
                                                         stdout=out, stderr=subprocess.STDOUT)
        _wait(lambda: "idle" in _sinfo(env), timeout, "node idle in sinfo", cluster)
    except BaseException:
        cluster.stop()
        raise
    cluster.start_seconds = time.perf_counter() - t0
    return cluster


def _sinfo(env: dict[str, str]) -> str:
    proc = subprocess.run([_which("sinfo"), "-h", "-o", "%t"], env=env, capture_output=True, text=True, timeout=10)
    return proc.stdout


def _wait(check, timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in cluster.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}) while waiting for {what}\n"
                                   f"{cluster.logs_tail()}")
        if check():
            return
        time.sleep(0.25)
    raise TimeoutError(f"SLURM: no {what} after {timeout:.0f} s\n{cluster.logs_tail()}")
