"""docker-compose.yml, the Dockerfile, deploy/nginx.conf and .env.example, checked against the
project they run.

Docker is not needed: the files are parsed. Every program a service starts must exist in the project
and accept the options given (gunicorn's target, the Celery app and sub-command, manage.py
commands); every environment variable they set, and every one .env.example lists, must be one that
atm_support/settings.py reads. The two Redis are told apart (the broker never evicts, the cache is
bounded and evicts), and nginx, parsed with crossplane (and checked by `nginx -t` where nginx is
installed), forwards to gunicorn with a body limit above the application's own. The last tests feed
deliberate mistakes to the same checks, to show that a renamed module, a misspelt variable, an
evicting broker or a tight nginx limit does make them fail. No database is used.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import json
import operator
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import crossplane
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from django.conf import settings
from django.core.management import CommandError, get_commands, load_command_class
from gunicorn.config import Config as GunicornConfig

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS_FILE = ROOT / "atm_support" / "settings.py"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"

SERVICES = {"db", "redis", "cache", "web", "worker", "beat", "nginx"}
APP_SERVICES = ("web", "worker", "beat")
# What each application service must start, as labelled by check_program().
EXPECTED_PROGRAMS = {
    "web": ["manage.py migrate", "gunicorn atm_support.wsgi:application"],
    "worker": ["celery worker"],
    "beat": ["celery beat"],
}
ENV_HELPERS = {"env", "env_bool", "env_int", "env_list"}
SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}


# --- settings.py: which variables it reads, with which default ---------------------------------


def _is_os(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "os"


def _is_os_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_os(node.value)


def settings_env_reads(source: str) -> dict[str, tuple[str, ast.expr | None]]:
    """Every variable the settings source reads: name -> (reader, default expression or None).

    Readers are the env()/env_bool()/env_int()/env_list() helpers with a literal name, and
    os.environ.get(), os.getenv(), os.environ["..."] and `"..." in os.environ`.
    """
    reads: dict[str, tuple[str, ast.expr | None]] = {}
    for node in ast.walk(ast.parse(source)):
        reader = ""
        name_node: ast.expr | None = None
        default: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Name) and func.id in ENV_HELPERS:
                reader = func.id
            elif isinstance(func, ast.Attribute) and (
                (func.attr == "get" and _is_os_environ(func.value))
                or (func.attr == "getenv" and _is_os(func.value))
            ):
                reader = "os.environ"
            name_node = node.args[0]
            default = node.args[1] if len(node.args) > 1 else None
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            reader, name_node = "os.environ", node.slice
        elif (
            isinstance(node, ast.Compare)
            and len(node.comparators) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and _is_os_environ(node.comparators[0])
        ):
            reader, name_node = "os.environ", node.left
        if (
            reader
            and isinstance(name_node, ast.Constant)
            and isinstance(name_node.value, str)
            and name_node.value not in reads
        ):
            reads[name_node.value] = (reader, default)
    return reads


def settings_env_names() -> set[str]:
    names = set(settings_env_reads(SETTINGS_FILE.read_text()))
    # A parser that finds nothing would make every "is it read?" check pass: it must see these.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG"} <= names, names
    return names


_BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
}


def _constant(node: ast.expr) -> Any:
    """The value of a literal or of literal arithmetic (15 * 60); ValueError for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_constant(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPERATORS:
        return _BINARY_OPERATORS[type(node.op)](_constant(node.left), _constant(node.right))
    raise ValueError(ast.unparse(node))


def documented_default(reader: str, default: ast.expr | None) -> str | None:
    """The default written as an environment value, or None when settings.py computes it."""
    if default is None:
        return "0" if reader == "env_bool" else ""
    try:
        value = _constant(default)
    except ValueError:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# --- docker-compose.yml ------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    assert isinstance(data.get("services"), dict), "docker-compose.yml has no services"
    return data


_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ${NAME:-default} with nothing set in the environment: the default."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        modifier, text = match.group(2) or "", match.group(3) or ""
        return text if modifier.endswith("-") else "required" if modifier else ""

    return _INTERPOLATION.sub(replace, value)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment, either form (mapping, or list of NAME=value), interpolated."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(k): interpolate("" if v is None else str(v)) for k, v in raw.items()}


def command_lines(command: str | list[str]) -> list[list[str]]:
    """The argument vectors a command runs: `sh -c "a && exec b"` gives [a, b]."""
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if len(argv) == 3 and Path(argv[0]).name in {"sh", "bash"} and argv[1] == "-c":
        lexer = shlex.shlex(argv[2], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lines: list[list[str]] = [[]]
        for token in lexer:
            if token in SHELL_OPERATORS:
                lines.append([])
            else:
                lines[-1].append(token)
        vectors = [line[1:] if line[:1] == ["exec"] else line for line in lines]
        return [line for line in vectors if line]
    return [argv]


# --- the programs a command starts ---------------------------------------------------------


def check_manage(args: list[str]) -> str:
    """`python manage.py <command> ...`: the command exists and accepts these options."""
    assert (ROOT / "manage.py").is_file(), "manage.py is missing"
    assert args, "manage.py without a command"
    name, options = args[0], args[1:]
    commands = get_commands()
    assert name in commands, f"manage.py has no command {name!r}"
    command = load_command_class(commands[name], name)
    try:
        command.create_parser("manage.py", name).parse_args(options)
    except (CommandError, SystemExit) as exc:
        raise AssertionError(f"manage.py {name} refuses {options}: {exc}") from exc
    return f"manage.py {name}"


def parse_gunicorn(args: list[str]) -> Any:
    """gunicorn's own command-line parser; the namespace, with the target checked."""
    try:
        parsed = GunicornConfig().parser().parse_args(args)
    except SystemExit as exc:
        raise AssertionError(f"gunicorn refuses {args}") from exc
    assert len(parsed.args) == 1, f"gunicorn needs exactly one module:attribute, got {parsed.args}"
    module_name, _, attribute = parsed.args[0].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AssertionError(f"gunicorn target module {module_name!r}: {exc}") from exc
    application = getattr(module, attribute or "application", None)
    assert callable(application), f"{module_name} has no WSGI callable {attribute!r}"
    return parsed


def check_gunicorn(args: list[str]) -> str:
    target = parse_gunicorn(args).args[0]
    assert target.replace(":", ".") == settings.WSGI_APPLICATION, (
        f"gunicorn serves {target}, Django's WSGI_APPLICATION is {settings.WSGI_APPLICATION}"
    )
    return f"gunicorn {target}"


def check_celery(args: list[str]) -> str:
    """`celery -A <app> <sub-command> ...`: the app is the project's, the options are valid."""
    position = next((i for i, arg in enumerate(args) if arg in celery_cli.commands), None)
    assert position is not None, f"celery without a known sub-command: {args}"
    name, options = args[position], args[position + 1 :]
    try:
        context = celery_cli.make_context("celery", args[:position])
    except click.ClickException as exc:
        raise AssertionError(f"celery refuses {args[:position]}: {exc}") from exc
    app_name = context.params.get("app")
    assert app_name, "celery without -A/--app"
    try:
        app = find_app(app_name)
    except (ImportError, AttributeError) as exc:
        raise AssertionError(f"celery -A {app_name}: {exc}") from exc
    assert isinstance(app, Celery), f"celery -A {app_name} is not a Celery app"
    project_app = importlib.import_module("atm_support").celery_app
    assert app is project_app, f"celery -A {app_name} is not atm_support.celery_app"
    command = celery_cli.get_command(context, name)
    assert command is not None, f"celery has no sub-command {name!r}"
    context.obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    try:
        command.make_context(name, list(options), parent=context)
    except click.ClickException as exc:
        raise AssertionError(f"celery {name} refuses {options}: {exc}") from exc
    return f"celery {name}"


def check_program(argv: list[str]) -> str:
    """Check one argument vector against the project; a label such as "celery worker"."""
    program = Path(argv[0]).name
    if re.fullmatch(r"python3?(\.\d+)?", program) and argv[1:2] == ["manage.py"]:
        return check_manage(argv[2:])
    if program == "gunicorn":
        return check_gunicorn(argv[1:])
    if program == "celery":
        return check_celery(argv[1:])
    raise AssertionError(f"unexpected program {argv}")


def check_env_names(names: set[str], where: str) -> None:
    unknown = names - settings_env_names()
    assert not unknown, f"{where} sets variables settings.py never reads: {sorted(unknown)}"


# --- Dockerfile and .env.example -------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), with comments dropped and continuation lines joined."""
    lines = [ln for ln in DOCKERFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_cmd() -> list[str]:
    cmds = [args for keyword, args in dockerfile_instructions() if keyword == "CMD"]
    assert cmds, "the Dockerfile has no CMD"
    cmd = cmds[-1]
    return [str(a) for a in json.loads(cmd)] if cmd.startswith("[") else ["sh", "-c", cmd]


_ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def env_example() -> list[tuple[str, str, str]]:
    """(name, value, comment line above) for each variable line, commented out or not."""
    entries = []
    previous = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ENV_LINE.match(line.strip())
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            entries.append((match.group(1), value, previous))
        previous = line.strip()
    return entries


# --- the two Redis and nginx --------------------------------------------------------------------


def redis_options(service: Mapping[str, Any]) -> dict[str, list[str]]:
    """`redis-server --name value...` as {name: values}: what the server runs with."""
    command = service.get("command")
    assert command, "a Redis service without a command runs with Redis's defaults"
    (argv,) = command_lines(command)
    assert Path(argv[0]).name == "redis-server", argv
    options: dict[str, list[str]] = {}
    name = ""
    for arg in argv[1:]:
        if arg.startswith("--"):
            name = arg[2:].lower()
            options[name] = []
        else:
            assert name, f"redis-server: {arg!r} belongs to no option"
            options[name].append(arg)
    return options


_REDIS_UNITS = {
    "": 1,
    "k": 1000,
    "kb": 1024,
    "m": 1000**2,
    "mb": 1024**2,
    "g": 1000**3,
    "gb": 1024**3,
}


def redis_bytes(value: str) -> int:
    """A Redis memory size (`256mb`, `1gb`, `100000`) in bytes, as redis.conf reads it."""
    match = re.fullmatch(r"(\d+)([kmg]b?)?", value.strip().lower())
    assert match, f"not a Redis memory size: {value!r}"
    return int(match.group(1)) * _REDIS_UNITS[match.group(2) or ""]


def check_broker_redis(options: Mapping[str, list[str]]) -> None:
    """Celery's messages are never evicted, and survive a restart."""
    assert options.get("maxmemory-policy") == ["noeviction"], (
        f"the broker's Redis may evict queued tasks: {options.get('maxmemory-policy')}"
    )
    assert options.get("appendonly") == ["yes"] or options.get("save", [""]) != [""], (
        "the broker's Redis keeps nothing on disk: a restart loses the queue"
    )


def check_cache_redis(options: Mapping[str, list[str]]) -> None:
    """Django's cache has a memory bound, and room is made by evicting any key."""
    (maxmemory,) = options.get("maxmemory") or ["0"]
    assert redis_bytes(maxmemory) > 0, "the cache's Redis has no memory bound"
    (policy,) = options.get("maxmemory-policy") or ["noeviction"]
    # volatile-* only evicts keys with a timeout: the page cache's generations have none.
    assert policy.startswith("allkeys-"), f"the cache's Redis evicts with {policy}"


def nginx_config(path: Path = NGINX_CONF) -> list[dict[str, Any]]:
    """The directives of an nginx configuration file, parsed by crossplane (NGINX's parser)."""
    assert path.is_file(), f"{path} does not exist"
    payload = crossplane.parse(str(path), single=True, comments=False)
    assert payload["status"] == "ok", payload["errors"]
    parsed: list[dict[str, Any]] = payload["config"][0]["parsed"]
    return parsed


def directives(block: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [directive for directive in block if directive["directive"] == name]


def nginx_servers(config: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    (http,) = directives(config, "http")
    servers = [server["block"] for server in directives(http["block"], "server")]
    assert servers, "nginx has no server"
    return servers


def nginx_effective(
    config: list[dict[str, Any]], name: str, location: list[dict[str, Any]], server: list[Any]
) -> list[str] | None:
    """A directive's arguments in a location: its own, else its server's, else http's."""
    (http,) = directives(config, "http")
    for block in (location, server, http["block"]):
        found = directives(block, name)
        if found:
            args: list[str] = found[-1]["args"]
            return args
    return None


def nginx_locations(server: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {" ".join(loc["args"]): loc["block"] for loc in directives(server, "location")}


def nginx_upstream(location: list[dict[str, Any]]) -> str:
    """Where a location proxies to, `$variable` targets read from its `set`."""
    (proxy_pass,) = directives(location, "proxy_pass")
    target = str(proxy_pass["args"][0])
    if target.startswith("$"):
        values = {d["args"][0]: d["args"][1] for d in directives(location, "set")}
        assert target in values, f"proxy_pass {target} is set nowhere in its location"
        target = values[target]
    return target


def nginx_bytes(value: str) -> int:
    """An nginx size (`55m`, `512k`, `1g`, `1048576`) in bytes."""
    match = re.fullmatch(r"(\d+)([kmg]?)", value.strip().lower())
    assert match, f"not an nginx size: {value!r}"
    return int(match.group(1)) * 1024 ** " kmg".index(match.group(2) or " ")


def upload_limit() -> int:
    """MAX_UPLOAD_REQUEST_BODY as the application runs in Compose: its environment, else the
    default settings.py reads it with."""
    web = environment(load_compose()["services"]["web"])
    if web.get("MAX_UPLOAD_REQUEST_BODY"):
        return int(web["MAX_UPLOAD_REQUEST_BODY"])
    reads = settings_env_reads(SETTINGS_FILE.read_text())
    assert "MAX_UPLOAD_REQUEST_BODY" in reads, "settings.py reads no MAX_UPLOAD_REQUEST_BODY"
    default = documented_default(*reads["MAX_UPLOAD_REQUEST_BODY"])
    assert default, "MAX_UPLOAD_REQUEST_BODY has no literal default"
    return int(default)


def check_nginx_body_size(config: list[dict[str, Any]], limit: int) -> None:
    """Every location takes a body the application would take, and cuts one far beyond it."""
    for server in nginx_servers(config):
        for path, location in nginx_locations(server).items():
            (size,) = nginx_effective(config, "client_max_body_size", location, server) or ["1m"]
            allowed = nginx_bytes(size)
            assert allowed != 0, f"nginx {path}: client_max_body_size 0 takes any body"
            assert allowed >= limit, (
                f"nginx {path} refuses bodies above {allowed} bytes, the application takes "
                f"{limit}: users would get nginx's English 413 instead of the French one"
            )
            assert allowed < 2 * limit, f"nginx {path}: {allowed} bytes is far above {limit}"


# --- the tests -------------------------------------------------------------------------------


def test_compose_defines_every_service() -> None:
    services = load_compose()["services"]
    assert set(services) >= SERVICES


def test_every_build_has_a_dockerfile() -> None:
    services = load_compose()["services"]
    built = {name for name, service in services.items() if "build" in service}
    assert built >= set(APP_SERVICES), "web, worker and beat run the project's image"
    for name in built:
        build = services[name]["build"]
        if isinstance(build, str):
            build = {"context": build}
        dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_programs_exist_in_the_project(name: str) -> None:
    service = load_compose()["services"][name]
    assert service.get("command"), f"{name} has no command"
    labels = [check_program(argv) for argv in command_lines(service["command"])]
    assert labels == EXPECTED_PROGRAMS[name]


def test_nginx_publishes_the_portal_and_forwards_to_the_port_gunicorn_binds() -> None:
    services = load_compose()["services"]
    web, nginx = services["web"], services["nginx"]
    argv = next(a for a in command_lines(web["command"]) if Path(a[0]).name == "gunicorn")
    binds = parse_gunicorn(argv[1:]).bind
    assert binds == ["0.0.0.0:8000"], binds
    assert not web.get("ports"), "web is reached through nginx only: it publishes no port"
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in nginx["volumes"]}
    assert (ROOT / mounts["/etc/nginx/nginx.conf"]).resolve() == NGINX_CONF
    config = nginx_config()
    listens = {
        d["args"][0].rsplit(":", 1)[-1]
        for server in nginx_servers(config)
        for d in directives(server, "listen")
    }
    published = [tuple(str(port).rsplit(":", 1)) for port in nginx.get("ports", [])]
    assert ("8000", "80") in published, f"http://localhost:8000: nginx publishes {published}"
    for _host, container in published:
        assert container in listens, f"nginx publishes {container}, listens on {listens}"
    for server in nginx_servers(config):
        for path, location in nginx_locations(server).items():
            upstream = urlsplit(nginx_upstream(location))
            assert (upstream.hostname, str(upstream.port)) == ("web", "8000"), (path, upstream)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_environment_is_read_by_settings(name: str) -> None:
    service = load_compose()["services"][name]
    names = set(environment(service))
    assert names, f"{name} sets no environment"
    check_env_names(names, f"docker-compose.yml ({name})")


def test_app_services_share_one_environment() -> None:
    services = load_compose()["services"]
    web = environment(services["web"])
    for name in APP_SERVICES:
        assert environment(services[name]) == web, f"{name}'s environment differs from web's"


def test_environment_points_at_the_compose_services() -> None:
    services = load_compose()["services"]
    env = environment(services["web"])
    database = urlsplit(env["DATABASE_URL"])
    assert database.hostname == "db"
    assert database.port == 5432
    db_env = environment(services["db"])
    assert (database.username, database.password, database.path.lstrip("/")) == (
        db_env["POSTGRES_USER"],
        db_env["POSTGRES_PASSWORD"],
        db_env["POSTGRES_DB"],
    )
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    # Celery's broker (CELERY_BROKER_URL, by default REDIS_URL) and Django's cache (CACHE_URL,
    # by default REDIS_URL) in two Redis: the cache's eviction must never drop a task.
    broker = urlsplit(env.get("CELERY_BROKER_URL") or env["REDIS_URL"])
    cache = urlsplit(env.get("CACHE_URL") or env["REDIS_URL"])
    assert broker.hostname == "redis"
    assert cache.hostname == "cache"
    assert broker.hostname != cache.hostname
    for url in (broker, cache):
        assert url.port == 6379
    assert env["DEBUG"].strip().lower() not in {"1", "true", "yes", "on"}, "DEBUG must be off"
    media = env["PRIVATE_MEDIA_ROOT"]
    for name in ("web", "worker"):
        mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in services[name]["volumes"]}
        assert media in mounts, f"{name} does not mount a volume on {media}"
        assert mounts[media] in (load_compose().get("volumes") or {}), "a named volume"


def test_app_services_wait_for_healthy_db_and_redis() -> None:
    services = load_compose()["services"]
    assert "pg_isready" in str(services["db"]["healthcheck"]["test"])
    assert "redis-cli" in str(services["redis"]["healthcheck"]["test"])
    assert "redis-cli" in str(services["cache"]["healthcheck"]["test"])
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        for dependency in ("db", "redis", "cache"):
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_every_dependency_waited_for_has_a_healthcheck() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for dependency, condition in depends.items():
            assert condition["condition"] == "service_healthy", (name, dependency)
            test = services[dependency].get("healthcheck", {}).get("test")
            assert test, f"{name} waits for {dependency}, which has no healthcheck"
            assert test != ["NONE"], f"{name} waits for {dependency}, whose healthcheck is off"


def test_web_healthcheck_reaches_the_port_gunicorn_binds() -> None:
    web = load_compose()["services"]["web"]
    test = web["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    code = test[3]
    ast.parse(code)  # a typo would leave web unhealthy, and nginx waiting for ever
    assert "('127.0.0.1', 8000)" in code, code


def test_broker_redis_never_evicts_and_keeps_its_queue() -> None:
    redis = load_compose()["services"]["redis"]
    check_broker_redis(redis_options(redis))
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in redis["volumes"]}
    assert mounts.get("/data") in (load_compose().get("volumes") or {}), "a named volume on /data"


def test_cache_redis_is_bounded_and_evicts_any_key() -> None:
    options = redis_options(load_compose()["services"]["cache"])
    check_cache_redis(options)
    assert redis_bytes(options["maxmemory"][0]) == 256 * 1024**2  # as README and .env.example say


def test_nginx_takes_the_bodies_the_application_takes() -> None:
    check_nginx_body_size(nginx_config(), upload_limit())


def test_nginx_tells_the_application_who_the_client_is() -> None:
    """X-Forwarded-For appended by nginx, and the application trusts exactly that one entry."""
    config = nginx_config()
    for server in nginx_servers(config):
        for path, location in nginx_locations(server).items():
            headers = {
                d["args"][0].lower(): d["args"][1]
                for d in directives(location, "proxy_set_header")
                or directives(server, "proxy_set_header")
            }
            assert headers.get("x-forwarded-for") == "$proxy_add_x_forwarded_for", path
            assert headers.get("host") in {"$http_host", "$host:$server_port"}, path
            if path == "/":
                assert "x-forwarded-proto" in headers, path
    env = environment(load_compose()["services"]["web"])
    assert env["TRUSTED_PROXY_COUNT"] == "1", "one proxy, nginx, appends to X-Forwarded-For"
    for server in nginx_servers(config):
        for path, location in nginx_locations(server).items():
            (buffering,) = nginx_effective(config, "proxy_request_buffering", location, server) or [
                "on"
            ]
            assert buffering == "on", f"nginx {path}: a slow upload would hold a gunicorn worker"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_its_configuration(tmp_path: Path) -> None:
    """`nginx -t` on the file, its cache directory moved under tmp_path: the test writes nothing
    outside it (nginx -t creates the cache directories it names)."""
    text = NGINX_CONF.read_text()
    assert "/var/cache/nginx/" in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(text.replace("/var/cache/nginx/", f"{tmp_path}/"))
    result = subprocess.run(
        ["nginx", "-t", "-q", "-p", f"{tmp_path}/", "-e", "/dev/stderr", "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_cmd_serves_atm_support_wsgi() -> None:
    cmd = dockerfile_cmd()
    assert "atm_support.wsgi" in " ".join(cmd)
    (argv,) = command_lines(cmd)
    assert check_program(argv) == "gunicorn atm_support.wsgi:application"
    port = parse_gunicorn(argv[1:]).bind[0].rsplit(":", 1)[-1]
    exposed = [args for keyword, args in dockerfile_instructions() if keyword == "EXPOSE"]
    assert exposed, "the Dockerfile exposes no port"
    assert port in exposed[-1].split(), f"gunicorn binds {port}, EXPOSE {exposed[-1]}"


def test_dockerfile_runs_as_non_root_and_sets_only_known_variables() -> None:
    instructions = dockerfile_instructions()
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the Dockerfile runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    names = set()
    for keyword, args in instructions:
        if keyword == "ENV":
            names |= {item.split("=", 1)[0] for item in shlex.split(args)}
    check_env_names({n for n in names if not n.startswith(("PYTHON", "PIP_"))}, "Dockerfile ENV")


def test_dockerignore_keeps_local_state_out_and_the_source_in() -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(name, p.removeprefix("**/")) for p in patterns)

    for name in (".venv", "var", ".git", "__pycache__", ".mypy_cache", ".pytest_cache"):
        assert ignored(name), f".dockerignore does not exclude {name}"
    for name in ("pyproject.toml", "manage.py", "atm_support", "static", "templates"):
        assert not ignored(name), f".dockerignore excludes {name}, which the image needs"


def test_env_example_lists_exactly_what_settings_reads() -> None:
    names = [name for name, _, _ in env_example()]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f".env.example lists twice: {duplicates}"
    check_env_names(set(names), ".env.example")
    missing = settings_env_names() - set(names)
    assert not missing, f"settings.py reads variables .env.example does not list: {sorted(missing)}"


def test_env_example_documents_each_variable_and_its_fixed_default() -> None:
    reads = settings_env_reads(SETTINGS_FILE.read_text())
    for name, value, comment in env_example():
        assert comment.startswith("#"), f".env.example: no comment above {name}"
        assert not _ENV_LINE.match(comment), f".env.example: no comment above {name}"
        if name not in reads:
            continue  # reported by test_env_example_lists_exactly_what_settings_reads
        reader, default = reads[name]
        expected = documented_default(reader, default)
        if expected is not None:
            assert value == expected, f".env.example: {name}={value!r}, settings.py: {expected!r}"


# --- the checks above do fail on mistakes ------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["gunicorn", "atm_support.wsgy:application"], id="renamed-wsgi-module"),
        pytest.param(["gunicorn", "atm_support.wsgi:app"], id="missing-wsgi-callable"),
        pytest.param(["gunicorn", "--wokers", "3", "atm_support.wsgi:application"], id="gunicorn"),
        pytest.param(["celery", "-A", "atm_suport", "worker"], id="misspelt-celery-app"),
        pytest.param(["celery", "-A", "atm_support.wsgi", "worker"], id="no-celery-app"),
        pytest.param(["celery", "-A", "atm_support", "workr"], id="misspelt-celery-command"),
        pytest.param(["celery", "-A", "atm_support", "beat", "--shedule", "x"], id="celery-option"),
        pytest.param(["python", "manage.py", "migrat"], id="misspelt-manage-command"),
        pytest.param(["python", "manage.py", "migrate", "--no-input-please"], id="manage-option"),
        pytest.param(["uwsgi", "--module", "atm_support.wsgi"], id="unknown-program"),
    ],
)
def test_program_check_rejects_mistakes(argv: list[str]) -> None:
    with pytest.raises(AssertionError):
        check_program(argv)


def test_redis_checks_reject_an_evicting_broker_and_an_unbounded_cache() -> None:
    check_broker_redis({"maxmemory-policy": ["noeviction"], "appendonly": ["yes"]})
    with pytest.raises(AssertionError, match="evict"):
        check_broker_redis({"maxmemory-policy": ["allkeys-lru"], "appendonly": ["yes"]})
    with pytest.raises(AssertionError, match="evict"):
        check_broker_redis({"appendonly": ["yes"]})  # no policy given: ask for it
    with pytest.raises(AssertionError, match="restart"):
        check_broker_redis({"maxmemory-policy": ["noeviction"], "save": [""]})
    check_cache_redis({"maxmemory": ["256mb"], "maxmemory-policy": ["allkeys-lfu"]})
    with pytest.raises(AssertionError, match="no memory bound"):
        check_cache_redis({"maxmemory-policy": ["allkeys-lru"]})
    with pytest.raises(AssertionError, match="volatile-lru"):
        check_cache_redis({"maxmemory": ["1gb"], "maxmemory-policy": ["volatile-lru"]})
    assert redis_bytes("256mb") == 268435456
    assert redis_bytes("1k") == 1000


@pytest.mark.parametrize(
    ("server", "message"),
    [
        pytest.param("client_max_body_size 10m;", "refuses bodies above", id="below-the-app"),
        pytest.param("", "refuses bodies above", id="nginx-default-1m"),
        pytest.param("client_max_body_size 0;", "takes any body", id="unlimited"),
        pytest.param("client_max_body_size 1g;", "far above", id="far-above"),
        pytest.param(
            "client_max_body_size 55m; location /files/ { client_max_body_size 2m; }",
            "/files/ refuses",
            id="one-location-below",
        ),
    ],
)
def test_nginx_body_check_rejects_a_mistake(tmp_path: Path, server: str, message: str) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"events {{}} http {{ server {{ listen 80; {server} location / {{ proxy_pass x; }} }} }}"
    )
    with pytest.raises(AssertionError, match=message):
        check_nginx_body_size(nginx_config(conf), 50 * 1024 * 1024)
    assert nginx_bytes("55m") == 55 * 1024 * 1024


def test_env_check_rejects_a_misspelt_variable() -> None:
    check_env_names({"SECRET_KEY", "SITE_URL"}, "sample")
    with pytest.raises(AssertionError, match="SECRET_KY"):
        check_env_names({"SECRET_KY", "SITE_URL"}, "sample")


def test_settings_parser_sees_every_kind_of_read() -> None:
    source = (
        'A = env("ONE", "x")\nB = env_int("TWO", 15 * 60)\nC = env_bool("THREE")\n'
        'D = os.environ.get("FOUR")\nE = os.environ["FIVE"]\nF = "SIX" in os.environ\n'
        'G = os.getenv("SEVEN")\nH = env(name)\n'
    )
    reads = settings_env_reads(source)
    assert set(reads) == {"ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN"}
    assert documented_default(*reads["TWO"]) == "900"
    assert documented_default(*reads["THREE"]) == "0"


def test_shell_commands_are_split_into_programs() -> None:
    script = "python manage.py migrate --noinput && exec gunicorn x:y; celery -A a beat"
    assert command_lines(["sh", "-c", script]) == [
        ["python", "manage.py", "migrate", "--noinput"],
        ["gunicorn", "x:y"],
        ["celery", "-A", "a", "beat"],
    ]
    assert interpolate("${A:-b c}|${B:?msg}|${C}|$$D") == "b c|required||$D"
