"""Pure functions behind the docker_daemon role: validate, merge, diff, classify.

The role reads the host's daemon.json, the docker unit's command line and the legacy
/etc/default/docker, hands them to these filters on the controller, and only writes when
every check has passed. Keeping the logic here makes it testable without a host.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

# Keys dockerd applies on SIGHUP (`systemctl reload docker`), read from moby's reload code
# of the engines the role supports, v20.10.24 and v26.1.5: daemon/reload.go (IsValueSet
# checks), daemon/reload_unix.go (reloadPlatform) and cmd/dockerd/daemon.go (reloadConfig,
# authorization plugins). Not here although the reference once listed them: "builder" (its
# GC settings are read at start) and "features" (swapped in the config on reload, but read
# by the parts that use them only at start), so changing either restarts.
RELOADABLE_KEYS = frozenset(
    {
        "allow-nondistributable-artifacts",
        "authorization-plugins",
        "debug",
        "default-cgroupns-mode",
        "default-ipc-mode",
        "default-runtime",
        "default-shm-size",
        "insecure-registries",
        "labels",
        "live-restore",
        "max-concurrent-downloads",
        "max-concurrent-uploads",
        "max-download-attempts",
        "network-diagnostic-port",
        "registry-mirrors",
        "runtimes",
        "shutdown-timeout",
    }
)

# Command-line flags whose daemon.json key is not simply the flag without dashes.
FLAG_KEYS = {
    "-H": "hosts",
    "--host": "hosts",
    "-D": "debug",
    "-G": "group",
    "-p": "pidfile",
    "--registry-mirror": "registry-mirrors",
    "--insecure-registry": "insecure-registries",
    "--label": "labels",
    "--dns": "dns",
    "--dns-opt": "dns-opts",
    "--dns-search": "dns-search",
    "--log-opt": "log-opts",
    "--storage-opt": "storage-opts",
    "--exec-opt": "exec-opts",
    "--authorization-plugin": "authorization-plugins",
    "--add-runtime": "runtimes",
    "--default-ulimit": "default-ulimits",
    "--tlsverify": "tlsverify",
}

LEGACY_FLAGS = {
    "registry-mirrors": "--registry-mirror",
    "insecure-registries": "--insecure-registry",
}

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def _valid_host(host: str) -> bool:
    if _HOSTNAME.match(host):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _blank_or_control(text: str) -> bool:
    """Spaces, tabs, newlines or other control characters: urlsplit silently drops tabs and
    newlines, and they would break the DOCKER_OPTS line they are written into."""
    return any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text)


def mirror_error(url: object) -> str | None:
    """Why a registry mirror is unusable, or None. A mirror is scheme://host[:port] only."""
    if not isinstance(url, str) or not url:
        return f"{url!r}: not a URL string"
    if _blank_or_control(url):
        return f"{url!r}: contains white space or a control character"
    if "://" not in url:
        return f"{url!r}: no scheme; write http://{url} or https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{url!r}: scheme {parts.scheme!r} is not http or https"
    if parts.username is not None or parts.password is not None:
        shown = url.replace(parts.netloc, "***@" + parts.netloc.rsplit("@", 1)[-1])
        return f"{shown!r}: credentials do not belong in a mirror URL (use a registry login)"
    if parts.path not in ("", "/"):
        return f"{url!r}: has a path ({parts.path}); a mirror is scheme://host[:port] only"
    if parts.query or parts.fragment:
        return f"{url!r}: has a query or fragment; a mirror is scheme://host[:port] only"
    try:
        port = parts.port
    except ValueError:
        return f"{url!r}: port is not a number from 1 to 65535"
    if port == 0:
        return f"{url!r}: port is not a number from 1 to 65535"
    if not parts.hostname or not _valid_host(parts.hostname):
        return f"{url!r}: no valid host name"
    return None


def insecure_registry_error(entry: object) -> str | None:
    """Why an insecure-registries entry is unusable: it is host[:port] or a CIDR."""
    if not isinstance(entry, str) or not entry:
        return f"{entry!r}: not a string"
    if _blank_or_control(entry):
        return f"{entry!r}: contains white space or a control character"
    if "://" in entry:
        return f"{entry!r}: no scheme here; write host:port (e.g. {urlsplit(entry).netloc})"
    if "/" in entry:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return f"{entry!r}: neither host[:port] nor a CIDR network"
        return None
    host, _colon, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return f"{entry!r}: port is not a number from 1 to 65535"
    return None if _valid_host(host) else f"{entry!r}: no valid host name"


def input_errors(settings: Mapping[str, Any]) -> list[str]:
    """Every problem in the role's inputs, as sentences; empty when all is well."""
    errors = []
    for url in settings.get("registry-mirrors", []):
        if (err := mirror_error(url)) is not None:
            errors.append(f"registry mirror {err}")
    for entry in settings.get("insecure-registries", []):
        if (err := insecure_registry_error(entry)) is not None:
            errors.append(f"insecure registry {err}")
    for key, value in (settings.get("log-opts") or {}).items():
        if not isinstance(value, str):
            errors.append(
                f"log-opts {key!r}: {value!r} must be a string (dockerd rejects "
                f"numbers here): write {json.dumps(str(value))}"
            )
    return errors


def parse_daemon_json(text: str | None, path: str) -> dict[str, Any]:
    """{'ok', 'config', 'error'} for the file's text; None means the file does not exist."""
    if text is None or not text.strip():
        return {"ok": True, "config": {}, "error": ""}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        return {"ok": False, "config": {}, "error": f"{path} is not valid JSON: {exc}"}
    if not isinstance(config, dict):
        return {
            "ok": False,
            "config": {},
            "error": f"{path} must hold a JSON object, not {type(config).__name__}",
        }
    return {"ok": True, "config": config, "error": ""}


def merge_config(
    existing: Mapping[str, Any], managed: Mapping[str, Any], remove: Iterable[str] = ()
) -> dict[str, Any]:
    """existing + managed (managed wins), minus the keys asked to be removed. Nothing else."""
    merged = {key: value for key, value in existing.items() if key not in set(remove)}
    merged.update(managed)
    return dict(sorted(merged.items()))


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Keys added, removed or given another value."""
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def apply_action(keys: Iterable[str], reloadable: Iterable[str] = RELOADABLE_KEYS) -> str:
    """'none', 'reload' (SIGHUP suffices) or 'restart' for a set of changed keys."""
    keys = list(keys)
    if not keys:
        return "none"
    return "reload" if set(keys) <= set(reloadable) else "restart"


def flag_keys(command_line: str) -> dict[str, str]:
    """daemon.json keys set as flags on a dockerd command line: {key: flag as written}."""
    found: dict[str, str] = {}
    try:
        words = shlex.split(command_line)
    except ValueError:
        words = command_line.split()
    for word in words:
        if not word.startswith("-"):
            continue
        flag = word.split("=", 1)[0]
        key = FLAG_KEYS.get(flag)
        if key is None and flag.startswith("--"):
            key = flag[2:]
        if key is not None:
            found.setdefault(key, word)
    return found


def clashes(config: Mapping[str, Any], command_line: str) -> list[str]:
    """Sentences naming each daemon.json key that the unit also sets as a flag."""
    flags = flag_keys(command_line)
    return [
        f"{key!r} is in daemon.json and given as {flags[key]!r} on dockerd's command line"
        for key in sorted(config)
        if key in flags
    ]


def unit_exec_start(show: str) -> str:
    """The argv of `systemctl show -p ExecStart docker` as one command line."""
    match = re.search(r"argv\[\]=([^;]*)", show)
    return match.group(1).strip() if match else ""


def unit_properties(show: str) -> dict[str, Any]:
    """`systemctl show` output as a dict, with the parts the role needs worked out.

    command_line: dockerd's argv; reads_default_file: the unit loads /etc/default/docker
    AND passes $DOCKER_OPTS to dockerd (both are needed for DOCKER_OPTS to take effect).
    """
    props = dict(line.split("=", 1) for line in show.splitlines() if "=" in line)
    command_line = unit_exec_start(props.get("ExecStart", ""))
    env_files = props.get("EnvironmentFiles", "")
    return {
        "main_pid": int(props.get("MainPID", "0") or 0),
        "active": props.get("ActiveState", "") == "active",
        "fragment": props.get("FragmentPath", ""),
        "command_line": command_line,
        "reads_default_file": "/etc/default/docker" in env_files and "DOCKER_OPTS" in command_line,
    }


def docker_opts_value(text: str | None) -> str:
    """The DOCKER_OPTS value in an /etc/default/docker text ('' when unset)."""
    value = ""
    for line in (text or "").splitlines():
        match = re.match(r"\s*(?:export\s+)?DOCKER_OPTS=(.*)$", line)
        if match:
            words = shlex.split(match.group(1), comments=True)
            value = words[0] if words else ""
    return value


def legacy_docker_opts(current: str, settings: Mapping[str, Any]) -> str:
    """DOCKER_OPTS with the role's mirror/insecure flags replacing earlier ones; others kept."""
    managed = set(LEGACY_FLAGS.values())
    words = shlex.split(current)
    kept: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        flag = word.split("=", 1)[0]
        if flag in managed:
            skip_next = "=" not in word
            continue
        kept.append(word)
    for key, flag in LEGACY_FLAGS.items():
        kept += [f"{flag}={value}" for value in settings.get(key, [])]
    return shlex.join(kept)


# daemon.json keys that `docker info` shows as a plain field. Keys it does not show at all
# (log-opts, max-concurrent-*, shm and ipc defaults, address pools...) cannot be confirmed
# live and are not claimed to be.
INFO_FIELDS = {
    "debug": "Debug",
    "log-driver": "LoggingDriver",
    "default-runtime": "DefaultRuntime",
    "storage-driver": "Driver",
}


def live_differences(info: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, str]:
    """Key -> how the running daemon (`docker info`) differs from the wanted setting."""
    found: dict[str, str] = {}
    registry = info.get("RegistryConfig") or {}
    if "registry-mirrors" in settings:
        live_mirrors = [m.rstrip("/") for m in registry.get("Mirrors") or []]
        wanted = [m.rstrip("/") for m in settings["registry-mirrors"]]
        if live_mirrors != wanted:
            found["registry-mirrors"] = (
                f"registry mirrors: daemon has {live_mirrors}, written {wanted}"
            )
    if "live-restore" in settings and info.get("LiveRestoreEnabled") != settings["live-restore"]:
        found["live-restore"] = (
            f"live-restore: daemon has {info.get('LiveRestoreEnabled')}, "
            f"written {settings['live-restore']}"
        )
    index = registry.get("IndexConfigs") or {}
    cidrs = registry.get("InsecureRegistryCIDRs") or []
    missing = [
        entry
        for entry in settings.get("insecure-registries", [])
        if not (entry in index and not index[entry].get("Secure", True)) and entry not in cidrs
    ]
    if missing:
        found["insecure-registries"] = "; ".join(
            f"insecure registry {entry}: not in the daemon's configuration" for entry in missing
        )
    for key, field in INFO_FIELDS.items():
        if key in settings and info.get(field) != settings[key]:
            found[key] = f"{key}: daemon has {info.get(field)!r}, written {settings[key]!r}"
    if "labels" in settings and sorted(info.get("Labels") or []) != sorted(settings["labels"]):
        found["labels"] = f"labels: daemon has {info.get('Labels')}, written {settings['labels']}"
    return found


def live_matches(info: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    """Differences between `docker info` and what was written; empty when the daemon agrees."""
    return list(live_differences(info, settings).values())


def live_stale_keys(info: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    """The wanted keys the running daemon does not show yet (a run interrupted after
    writing its files, before the reload or restart, leaves them so)."""
    return sorted(live_differences(info, settings))


# The daemon's proxy: the environment dockerd reads at start (a systemd drop-in), and how
# `docker info` shows it: HttpProxy, HttpsProxy, NoProxy, any user and password masked.
PROXY_FIELDS = {"HTTP_PROXY": "HttpProxy", "HTTPS_PROXY": "HttpsProxy", "NO_PROXY": "NoProxy"}
_PROXY_SCHEMES = ("http", "https", "socks5")
# Characters a systemd Environment= value in double quotes cannot hold as they are.
_UNQUOTABLE = re.compile(r'[\s"\\\x00-\x1f\x7f]')


def proxy_mask(url: str) -> str:
    """The URL as `docker info` shows it: user and password replaced by xxxxx."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"xxxxx:xxxxx@{host}").geturl()


def proxy_env(http: str, https: str, no_proxy: Iterable[str]) -> dict[str, str]:
    """The variables the drop-in sets, the empty ones left out."""
    env = {"HTTP_PROXY": http, "HTTPS_PROXY": https, "NO_PROXY": ",".join(no_proxy)}
    return {key: value for key, value in env.items() if value}


def proxy_errors(http: str, https: str, no_proxy: Iterable[object]) -> list[str]:
    """Problems with the proxy settings; a URL is named only with its login masked."""
    errors = []
    for name, url in (("docker_daemon_http_proxy", http), ("docker_daemon_https_proxy", https)):
        if not url:
            continue
        shown = proxy_mask(url) if isinstance(url, str) else repr(url)
        if not isinstance(url, str) or _UNQUOTABLE.search(url):
            errors.append(f"{name} {shown}: no spaces, quotes, backslashes or control characters")
            continue
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in _PROXY_SCHEMES or not parts.hostname or port == -1:
            errors.append(
                f"{name} {shown}: a URL such as http://[user:password@]proxy.lan:3128 "
                f"(scheme {', '.join(_PROXY_SCHEMES)})"
            )
        elif parts.path not in ("", "/") or parts.query or parts.fragment:
            errors.append(f"{name} {shown}: no path, query or fragment")
    for entry in no_proxy:
        if not isinstance(entry, str) or not entry or _UNQUOTABLE.search(entry) or "," in entry:
            errors.append(
                f"docker_daemon_no_proxy entry {entry!r}: a host, .domain, address or CIDR"
            )
    return errors


def proxy_live_problems(info: Mapping[str, Any], wanted: Mapping[str, str]) -> list[str]:
    """How the running daemon's proxy differs from `wanted` (empty: no proxy at all)."""
    problems = []
    for variable, field in PROXY_FIELDS.items():
        live = str(info.get(field) or "")
        want = proxy_mask(wanted.get(variable, ""))
        if live.rstrip("/") != want.rstrip("/"):
            problems.append(f"{variable}: daemon has {live or 'none'!r}, wanted {want or 'none'!r}")
    return problems


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "docker_daemon_input_errors": input_errors,
            "docker_daemon_parse": parse_daemon_json,
            "docker_daemon_merge": merge_config,
            "docker_daemon_changed_keys": changed_keys,
            "docker_daemon_apply_action": apply_action,
            "docker_daemon_clashes": clashes,
            "docker_daemon_unit_properties": unit_properties,
            "docker_daemon_opts_value": docker_opts_value,
            "docker_daemon_legacy_opts": legacy_docker_opts,
            "docker_daemon_live_problems": live_matches,
            "docker_daemon_live_stale_keys": live_stale_keys,
            "docker_daemon_proxy_env": proxy_env,
            "docker_daemon_proxy_errors": proxy_errors,
            "docker_daemon_proxy_live_problems": proxy_live_problems,
        }
