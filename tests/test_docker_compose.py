"""docker-compose.yml, the Dockerfile and .env.example, checked against the project they run.

Docker is not needed: the files are parsed. Every program a service starts must exist in the project
and accept the options given (gunicorn's target, the Celery app and sub-command, manage.py
commands); every environment variable they set, and every one .env.example lists, must be one that
atm_support/settings.py reads. The last tests feed deliberate mistakes to the same checks, to show
that a renamed module or a misspelt variable does make them fail. No database is used.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import json
import operator
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
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

SERVICES = {"db", "redis", "web", "worker", "beat"}
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


# --- the tests -------------------------------------------------------------------------------


def test_compose_defines_the_five_services() -> None:
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


def test_web_publishes_the_port_gunicorn_binds() -> None:
    web = load_compose()["services"]["web"]
    argv = next(a for a in command_lines(web["command"]) if Path(a[0]).name == "gunicorn")
    binds = parse_gunicorn(argv[1:]).bind
    assert binds == ["0.0.0.0:8000"], binds
    published = {str(port).rsplit(":", 1)[-1] for port in web.get("ports", [])}
    assert "8000" in published, f"web publishes {web.get('ports')}"


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
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        for dependency in ("db", "redis"):
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)


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
